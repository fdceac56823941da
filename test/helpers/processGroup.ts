/** Process groups: a command started `detached` leads its own group, which then tells whether anything it started lives on. */

/** Is any process of this process group still there? (Signal 0 only checks.) */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
