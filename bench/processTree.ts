/** What a server's processes use, read from /proc: resident memory and CPU time of a process and its descendants. */
import fs from 'node:fs';

/** The process and all its descendants (the workers of IMM_WORKERS > 1). */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const task of fs.readdirSync(`/proc/${pids[i]}/task`)) {
        const children = fs.readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      /* gone */
    }
  }
  return pids;
}

export function residentMbOfTree(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux's USER_HZ

/**
 * CPU seconds (user + system) the process tree has used so far. Per request, it is the figure a loaded,
 * shared machine disturbs least: time the server spends descheduled lowers its requests/s but not this.
 */
export function cpuSecondsOfTree(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}
