/**
 * The load generators: wrk replaying pre-signed requests (closed loop, for saturation), and a small Node
 * open-loop generator (a fixed offered rate, latency measured from each request's scheduled start, so a slow
 * answer cannot hide the requests that should have followed it).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRequest } from '../test/helpers/signedHttp.js';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  errors: number;
  /** CPU seconds the generator itself used per second of the run (wrk only). */
  generatorCores?: number;
  /** CPU seconds the server (all its processes) used during the run, when its pid was given. */
  serverCpuSeconds?: number;
}

const REPLAY_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/wrk/replay.lua');

/** Processor time (user + system) of a process so far, in seconds, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** wrk with `connections` connections on `threads` threads, each thread replaying `<dir>/requests-<n>.bin`. */
export async function runWrk(url: string, dir: string, options: { seconds: number; connections: number; threads: number; cycle?: boolean }): Promise<LoadResult> {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', REPLAY_SCRIPT, url, '--', dir, ...(options.cycle ? ['cycle'] : [])];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let cpu = 0;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const sampler = setInterval(() => (cpu = Math.max(cpu, cpuSeconds(child.pid!) || 0)), 100);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${err}\n${out}`);
  const r = JSON.parse(line) as Record<string, number>;
  const seconds = r.duration_us / 1e6;
  return {
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    p50_ms: r.p50_us / 1000,
    p99_ms: r.p99_us / 1000,
    p999_ms: r.p999_us / 1000,
    errors: r.status_errors + r.connect_errors + r.read_errors + r.write_errors + r.timeouts,
    generatorCores: cpu / seconds,
  };
}

/**
 * Offers `rate` requests per second for `seconds` (at most `requests.length`), from a process of its own
 * (bench/openLoop.ts): the bench's own process holds every seeded pair, and its collections would stall the
 * schedule and count as the server's latency.
 */
export async function runOpenLoop(url: string, requests: RawRequest[], rate: number, seconds: number): Promise<LoadResult> {
  const count = Math.floor(rate * (OPEN_LOOP_WARM_UP_SECONDS + seconds));
  if (requests.length < count) throw new Error(`the open loop needs ${count} requests (${OPEN_LOOP_WARM_UP_SECONDS} s of warm-up and ${seconds} s at ${rate}/s), has ${requests.length}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imm-bench-open-loop-'));
  try {
    const file = path.join(dir, 'requests.json');
    fs.writeFileSync(file, JSON.stringify(requests.slice(0, count).map((r) => ({ ...r, body: r.body === undefined ? undefined : r.body.toString() }))));
    const child = spawn(process.execPath, [OPEN_LOOP_SCRIPT, url, file, String(rate), String(seconds), String(OPEN_LOOP_WARM_UP_SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the open-loop generator failed (${code}): ${out}`);
    return JSON.parse(out) as LoadResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The generator's first second is not counted: a new process runs its HTTP client unoptimised and opens its
 * connections then, sends what fell due in bursts, and would measure its own start rather than the server.
 */
export const OPEN_LOOP_WARM_UP_SECONDS = 1;

const OPEN_LOOP_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'openLoop.js');

/**
 * The open loop itself, over up to 256 kept-alive connections (run by bench/openLoop.ts in its own process):
 * `warmUpSeconds` at `rate`, not counted, then `seconds` counted.
 */
export async function openLoop(url: string, requests: RawRequest[], rate: number, seconds: number, warmUpSeconds: number): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.min(requests.length, Math.floor(rate * (warmUpSeconds + seconds)));
  const firstCounted = Math.floor(rate * warmUpSeconds);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  const send = (request: RawRequest, scheduledAt: number, counted: boolean) =>
    new Promise<void>((resolve) => {
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      const req = http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.path, agent, headers: { ...request.headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            if (counted) latencies.push(performance.now() - scheduledAt);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) / 1000) * rate));
      while (sent < due) {
        inFlight.push(send(requests[sent], started + (sent / rate) * 1000, sent >= firstCounted));
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000 - warmUpSeconds;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { requests: latencies.length, seconds: elapsed, rps: latencies.length / elapsed, p50_ms: at(0.5), p99_ms: at(0.99), p999_ms: at(0.999), errors };
}
