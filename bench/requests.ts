/**
 * Pre-signed requests for the load generator: each is signed once here (its own nonce), then replayed exactly
 * once by wrk (bench/wrk/replay.lua) — so the generator spends no time on signatures and the server sees the
 * requests a real client would send.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RawRequest } from '../test/helpers/signedHttp.js';

/** The request as it goes on the wire (HTTP/1.1, keep-alive). */
export function wireText(request: RawRequest, host: string): string {
  const headers: Record<string, string> = { host, ...(request.headers ?? {}) };
  const body = request.body === undefined ? '' : request.body.toString();
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${request.method} ${request.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Writes `requests` round-robin into one file per wrk thread: `<dir>/requests-<n>.bin`, NUL-separated. */
export function writeRequestFiles(dir: string, requests: RawRequest[], host: string, threads: number): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const parts: string[][] = Array.from({ length: threads }, () => []);
  requests.forEach((request, i) => parts[i % threads].push(wireText(request, host)));
  parts.forEach((texts, n) => fs.writeFileSync(path.join(dir, `requests-${n}.bin`), texts.map((t) => `${t}\0`).join('')));
}
