/**
 * The ceiling: a bare `node:http` server on the same machine, read by the same generator, answering every
 * request (its body read, like ours) with the JSON of a refresh answer. What no Node server doing real work can
 * beat; our throughput is quoted as a fraction of it. Run as its own process: `node dist/bench/ceiling.js`
 * prints `listening on http://127.0.0.1:PORT`.
 */
import http from 'node:http';

const BODY = JSON.stringify({
  RequestId: '7B0E3A1C-2D4F-4E5A-9B6C-0D1E2F3A4B5C',
  AccessToken: '0123456789abcdef0123456789abcdef',
  AccessTokenExpiredTime: '2021-09-01T12:37:28.950065359Z',
  RefreshToken: 'fedcba9876543210fedcba9876543210',
  RefreshTokenExpiredTime: '2021-09-02T12:07:28.950065359Z',
});

const server = http.createServer((request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
    response.end(BODY);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
