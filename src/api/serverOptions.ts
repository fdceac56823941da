/** The Node server options of the HTTP face: limits and timeouts, TLS, and which proxies to believe. */
import fs from 'node:fs';
import type { Config } from '../config.js';

/** Trusts the `hops` nearest proxies (as proxy-addr does for a number). */
export function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/**
 * Node's HTTP server limits, set deliberately (for HTTP and HTTPS alike) rather than inherited:
 * - maxHeaderSize 16 KiB (Node's default, made explicit): request line, URL and headers together. The SDKs send
 *   well under 4 KiB; more is answered 431 in our envelope, e.g. a 100 KB URL or header.
 * - requestTimeout (IMM_REQUEST_TIMEOUT) for the whole request, headers and body; headersTimeout for the headers
 *   alone, at most 10 s: a client trickling header bytes (slowloris) cannot hold a socket longer. Both are 408.
 * - connectionsCheckingInterval: how often Node enforces those two; its default (30 s) would let a slow client
 *   overstay them by up to 30 s.
 * - requireHostHeader off: the onRequest hook refuses a missing Host in our envelope instead of Node's bare 400.
 */
export function withServerLimits(options: { https?: object }, config: Config): { http?: object; https?: object } {
  const limits = {
    maxHeaderSize: 16 * 1024,
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(config.requestTimeoutMs, 10_000),
    connectionsCheckingInterval: Math.min(1_000, config.requestTimeoutMs),
    requireHostHeader: false,
  };
  return options.https ? { https: { ...options.https, ...limits } } : { http: limits };
}

/** IMM_TLS_CERT / IMM_TLS_KEY: serve HTTPS with them (read once, at start). */
export function httpsOptions(config: Config): { https?: { cert: Buffer; key: Buffer } } {
  if (!config.tlsCert || !config.tlsKey) return {};
  const read = (file: string, name: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`${name}: cannot read ${file} (${(err as Error).message})`);
    }
  };
  return { https: { cert: read(config.tlsCert, 'IMM_TLS_CERT'), key: read(config.tlsKey, 'IMM_TLS_KEY') } };
}
