/**
 * The peer: oidc-provider 9 (bench/peerServer.ts, its own process) with refresh-token rotation, in memory, its
 * refresh tokens minted through its real authorization-code flow, then loaded by the same generator as our
 * refresh: wrk replaying pre-built `grant_type=refresh_token` POSTs to /token (client_secret_basic), each refresh
 * token presented once (a second presentation would fail: rotation is on).
 *
 * One process only: its in-memory adapter lives in the process that minted the tokens, so two processes behind
 * one port would each refuse half of them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRequest } from '../test/helpers/signedHttp.js';
import { runWrk, type LoadResult } from './loadGenerators.js';
import { cpuSecondsOfTree } from './processTree.js';
import { PEER_CLIENT } from './peerClient.js';
import { writeRequestFiles } from './requests.js';

/** Refreshes per second the peer's phase mints for: above what it reached on the development machine (1 666–2 400/s). */
const PEER_MAX_RPS = 2500;
/** Code flows driven at once while minting. */
const MINT_CONCURRENCY = 32;

/** A POST to /token from the client, authenticated with client_secret_basic. */
const TOKEN_HEADERS = {
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(PEER_CLIENT.client_id)}:${encodeURIComponent(PEER_CLIENT.client_secret)}`).toString('base64')}`,
  'content-type': 'application/x-www-form-urlencoded',
};

/** Follows one redirect by hand (the cookies of the flow kept in `jar`); returns the Location. */
async function step(url: string, jar: Map<string, string>): Promise<string> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
  await response.arrayBuffer();
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const location = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || !location) throw new Error(`peer code flow: ${url} answered ${response.status}`);
  return new URL(location, url).toString();
}

/**
 * One refresh token through the authorization-code flow: /auth (prompt=consent, offline_access) → the
 * interaction (login and consent) → /auth/:uid → the redirect with the code → /token with the code.
 */
async function mintRefreshToken(issuer: string): Promise<string> {
  const jar = new Map<string, string>();
  const query = new URLSearchParams({
    client_id: PEER_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: PEER_CLIENT.redirect_uri,
    scope: 'openid offline_access',
    prompt: 'consent',
    state: randomBytes(8).toString('hex'),
  });
  let url = await step(`${issuer}/auth?${query}`, jar);
  while (!url.startsWith(PEER_CLIENT.redirect_uri)) url = await step(url, jar);
  const code = new URL(url).searchParams.get('code');
  if (!code) throw new Error(`peer code flow: no code in ${url}`);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: TOKEN_HEADERS,
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: PEER_CLIENT.redirect_uri }),
  });
  const body = (await response.json()) as { refresh_token?: string; error?: string };
  if (!body.refresh_token) throw new Error(`peer code exchange: ${response.status} ${JSON.stringify(body)}`);
  return body.refresh_token;
}

async function mintRefreshTokens(issuer: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  let begun = 0;
  const worker = async () => {
    while (begun < count) {
      begun++;
      tokens.push(await mintRefreshToken(issuer));
    }
  };
  await Promise.all(Array.from({ length: MINT_CONCURRENCY }, worker));
  return tokens;
}

export function peerRefreshRequest(refreshToken: string): RawRequest {
  return {
    method: 'POST',
    path: '/token',
    headers: TOKEN_HEADERS,
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  };
}

export interface PeerRun {
  /** Refresh tokens minted (each a live grant in the peer's memory). */
  sessions: number;
  mintSeconds: number;
  result: LoadResult;
  /** wrk spent every minted token before its time was up: the rate is then over a shorter phase. */
  ranOut: boolean;
}

export async function runPeer(options: { seconds: number; connections: number; threads: number; work: string }): Promise<PeerRun> {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'peerServer.js');
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const issuer = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`peer server exited (${code})`)));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const m = /listening on (\S+)/.exec(chunk);
        if (m) resolve(m[1]);
      });
    });
    const count = Math.ceil(options.seconds * PEER_MAX_RPS);
    const started = performance.now();
    const tokens = await mintRefreshTokens(issuer, count);
    const mintSeconds = (performance.now() - started) / 1000;
    const dir = path.join(options.work, 'peer');
    writeRequestFiles(dir, tokens.map(peerRefreshRequest), new URL(issuer).host, options.threads);
    try {
      const cpuBefore = cpuSecondsOfTree(child.pid!);
      const loaded = await runWrk(issuer, dir, { seconds: options.seconds, connections: options.connections, threads: options.threads });
      const result = { ...loaded, serverCpuSeconds: cpuSecondsOfTree(child.pid!) - cpuBefore };
      return { sessions: tokens.length, mintSeconds, result, ranOut: result.requests >= tokens.length };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
}
