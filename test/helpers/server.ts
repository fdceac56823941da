/**
 * Real servers for tests: each is `imm-weboffice serve` in its own process on a free port, with its own data
 * directory (or a shared one), exactly as a user starts it. Also runs CLI commands on the same data.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { postgresUrlFor, TEST_ENGINE } from './postgres.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

export interface RootCredentials {
  AccountId: string;
  AccessKeyId: string;
  AccessKeySecret: string;
}

export interface TestServer {
  url: string;
  /** host:port, what the SDKs take as `endpoint`. */
  endpoint: string;
  dataDir: string;
  env: Record<string, string>;
  root: RootCredentials;
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** With IMM_TEST_ENGINE=postgres, the data directory's own PostgreSQL schema (unless the test chose a database). */
async function engineEnv(dataDir: string, env: Record<string, string>): Promise<Record<string, string>> {
  if (TEST_ENGINE !== 'postgres' || env.IMM_DATABASE_URL) return {};
  return { IMM_DATABASE_URL: await postgresUrlFor(path.resolve(dataDir)) };
}

export function makeDataDir(prefix = 'imm-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts a server and waits for its ready line. `env` adds to (and overrides) the defaults. `nodeArgs` go to
 * node before the CLI (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow).
 */
export async function startServer(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<TestServer> {
  const dataDir = env.IMM_DATA_DIR ?? makeDataDir();
  // No LibreOffice unless a test asks for it (IMM_SOFFICE): the other suites test the page's own viewers.
  const fullEnv: Record<string, string> = { IMM_PORT: '0', IMM_LOG_LEVEL: 'info', IMM_SOFFICE: 'none', ...(await engineEnv(dataDir, env)), ...env, IMM_DATA_DIR: dataDir };
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], { env: { ...process.env, ...fullEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s\nstdout:\n${out}\nstderr:\n${err}`)), 15_000);
    const check = () => {
      const match = /imm-weboffice listening on (http:\/\/\S+)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });

  const rootFile = path.join(dataDir, 'root-credentials.json');
  const root: RootCredentials = fullEnv.IMM_ROOT_ACCESS_KEY_ID
    ? { AccountId: fullEnv.IMM_ACCOUNT_ID ?? '', AccessKeyId: fullEnv.IMM_ROOT_ACCESS_KEY_ID, AccessKeySecret: fullEnv.IMM_ROOT_ACCESS_KEY_SECRET }
    : JSON.parse(fs.readFileSync(rootFile, 'utf8'));

  return {
    url,
    endpoint: url.replace(/^http:\/\//, ''),
    dataDir,
    env: fullEnv,
    root,
    process: child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

const execFileAsync = promisify(execFile);

/** Runs `imm-weboffice ARGS` with the server's configuration; resolves with stdout, rejects on non-zero exit. */
export async function runCli(env: Record<string, string>, args: string[]): Promise<string> {
  const dataDir = env.IMM_DATA_DIR;
  const engine = dataDir ? await engineEnv(dataDir, env) : {};
  const { stdout } = await execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...engine, ...env } });
  return stdout;
}

export async function createAccount(env: Record<string, string>): Promise<RootCredentials> {
  return JSON.parse(await runCli(env, ['account', 'create']));
}

/** Creates the bucket if needed and puts a document into it; returns its oss:// URI. */
export async function putDocument(server: { env: Record<string, string>; dataDir: string }, accountId: string, bucket: string, key: string, content: string | Buffer = 'hello'): Promise<string> {
  try {
    await runCli(server.env, ['bucket', 'create', bucket, '--account', accountId]);
  } catch (err) {
    if (!/exists already/.test(String((err as { stderr?: string }).stderr ?? err))) throw err;
  }
  const file = path.join(server.dataDir, `upload-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, content);
  try {
    await runCli(server.env, ['object', 'put', `oss://${bucket}/${key}`, file]);
  } finally {
    fs.unlinkSync(file);
  }
  return `oss://${bucket}/${key}`;
}
