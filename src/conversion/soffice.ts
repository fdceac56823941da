/**
 * LibreOffice, headless: finding its command, and running one conversion to PDF in its own process group so
 * that a stuck one is killed whole (soffice is a shell script that starts oosplash and soffice.bin).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApiError } from '../core/errors.js';

/** The command names tried on PATH when IMM_SOFFICE is unset. */
const DEFAULT_COMMANDS = ['soffice', 'libreoffice'];

const isExecutableFile = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/**
 * The LibreOffice command to run: IMM_SOFFICE as a path or a name looked up on PATH, else `soffice` (or
 * `libreoffice`) on PATH; undefined when there is none or IMM_SOFFICE is `none`. A configured command that
 * cannot be found is an error at start, not a surprise at the first conversion.
 */
export function findSoffice(configured: string | undefined, searchPath = process.env.PATH ?? ''): string | undefined {
  if (configured === 'none') return undefined;
  const onPath = (name: string) => searchPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name)).find(isExecutableFile);
  if (configured === undefined) return DEFAULT_COMMANDS.map(onPath).find((found) => found !== undefined);
  const found = configured.includes('/') ? (isExecutableFile(configured) ? path.resolve(configured) : undefined) : onPath(configured);
  if (!found) throw new Error(`IMM_SOFFICE names ${configured}, which is not an executable file${configured.includes('/') ? '' : ' on PATH'} (set it to none to disable conversions)`);
  return found;
}

export interface SofficeJob {
  /** This worker's own profile folder: LibreOffice instances sharing one race at start-up. */
  profileDir: string;
  inputFile: string;
  outDir: string;
  timeoutMs: number;
  /** Aborted when the node stops: the conversion is killed like a stuck one. */
  signal?: AbortSignal;
}

/** What LibreOffice printed last, for the log when a conversion fails (bounded). */
const OUTPUT_KEPT = 4096;

/**
 * Runs `soffice --convert-to pdf` on one file. Resolves when it exits (it exits 0 even when it failed: the
 * caller checks the PDF); rejects with `ConversionTimeout` after `timeoutMs`, having killed its whole process
 * group, or `ConverterUnavailable` when the command cannot be started.
 */
export function runSoffice(command: string, job: SofficeJob): Promise<{ output: string }> {
  const args = [
    '--headless', '--invisible', '--norestore', '--nologo', '--nodefault', '--nolockcheck', '--nofirststartwizard',
    `-env:UserInstallation=${pathToFileURL(job.profileDir).href}`,
    '--convert-to', 'pdf', '--outdir', job.outDir, job.inputFile,
  ];
  return new Promise((resolve, reject) => {
    // detached: a process group of its own, so that kill(-pid) reaches every process it started.
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: job.profileDir } });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    let outcome: ApiError | undefined;
    const stop = (error: ApiError) => {
      outcome ??= error;
      killGroup();
    };
    const timer = setTimeout(() => stop(new ApiError('ConversionTimeout', String(job.timeoutMs / 1000))), job.timeoutMs);
    const onAbort = () => stop(new ApiError('ServiceUnavailable', [], { message: 'The conversion was stopped: this node is shutting down; retry.' }));
    job.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      job.signal?.removeEventListener('abort', onAbort);
      const code = (err as NodeJS.ErrnoException).code;
      reject(code === 'ENOENT' || code === 'EACCES' ? new ApiError('ConverterUnavailable') : err);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      job.signal?.removeEventListener('abort', onAbort);
      // Whatever it left behind (a soffice.bin still shutting down) goes with it.
      killGroup();
      if (outcome) reject(outcome);
      else resolve({ output });
    });
  });
}
