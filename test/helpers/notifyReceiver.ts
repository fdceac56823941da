/**
 * A test receiver of save notifications: a local HTTP server that records every request (its id header, body
 * and whether its signature verifies with `secret`) and answers 200, or what `answer` says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, verifyNotification } from '../../src/notifications/signature.js';
import type { SaveEvent } from '../../src/notifications/saveEvents.js';

export interface ReceivedNotification {
  id: string | undefined;
  body: string;
  event: SaveEvent;
  signed: boolean;
}

export interface NotifyReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Resolves with the first notification `match` accepts (polling), or rejects after `timeoutMs`. */
  waitFor(match: (event: SaveEvent) => boolean, timeoutMs?: number): Promise<ReceivedNotification>;
  close(): Promise<void>;
}

export async function startNotifyReceiver(secret: string, answer: (n: number) => number = () => 200): Promise<NotifyReceiver> {
  const received: ReceivedNotification[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signed = verifyNotification(secret, body, request.headers[SIGNATURE_HEADER] as string | undefined);
      received.push({ id: request.headers[NOTIFICATION_ID_HEADER] as string | undefined, body, event: JSON.parse(body) as SaveEvent, signed });
      response.writeHead(answer(received.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/saves`,
    received,
    async waitFor(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find((r) => match(r.event));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching notification within ${timeoutMs} ms (received ${received.length})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
