/**
 * A stand-in for LibreOffice's command (IMM_SOFFICE points at it): a real shell script, run as a real process
 * group, that takes soffice's arguments, logs each run and what it started, and writes a PDF (or nothing, or
 * garbage) named after its input as LibreOffice does — after sleeping, and with a child process, if asked.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FakeSoffice {
  command: string;
  /** Lines `start <pid> <input>`, `child <pid>`, `end <pid> <input>`, in the order they happened. */
  log(): string[];
  runs(): string[];
}

export function fakeSoffice(dir: string, behaviour: { output: Buffer | 'none' | 'garbage'; sleepSeconds?: number; spawnChild?: boolean }): FakeSoffice {
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'runs.log');
  const pdfFile = path.join(dir, 'output.pdf');
  if (Buffer.isBuffer(behaviour.output)) fs.writeFileSync(pdfFile, behaviour.output);
  const write =
    behaviour.output === 'none' ? ':' : behaviour.output === 'garbage' ? `printf 'not a pdf at all' > "$outdir/$name.pdf"` : `cp '${pdfFile}' "$outdir/$name.pdf"`;
  const script = `#!/bin/sh
outdir=""; input=""
while [ $# -gt 0 ]; do
  case "$1" in
    --outdir) outdir="$2"; shift 2 ;;
    *) input="$1"; shift ;;
  esac
done
base=$(basename "$input"); name="\${base%.*}"
echo "start $$ $base" >> '${logFile}'
${behaviour.spawnChild ? `sleep 300 &\necho "child $!" >> '${logFile}'` : ''}
${behaviour.sleepSeconds ? `sleep ${behaviour.sleepSeconds}` : ''}
${write}
echo "end $$ $base" >> '${logFile}'
`;
  const command = path.join(dir, 'soffice');
  fs.writeFileSync(command, script, { mode: 0o755 });
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []);
  return { command, log, runs: () => log().filter((line) => line.startsWith('start ')) };
}

/** Whether a process still runs (a zombie waiting for its parent to reap it counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
