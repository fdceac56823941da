/** `npm run demo`: the service with sample documents and an integrator app; prints the address to open. */
import { startDemo } from './startDemo.js';

const demo = await startDemo({
  servicePort: Number(process.env.IMM_PORT ?? 8080),
  integratorPort: Number(process.env.DEMO_PORT ?? 8081),
  accessTokenTtlSeconds: Number(process.env.IMM_ACCESS_TOKEN_TTL ?? 40),
});
process.stdout.write(
  [
    '',
    `imm-weboffice demo: the service is at ${demo.serviceUrl}; the integrator app (another origin) is at`,
    '',
    `    ${demo.integrator.url}/`,
    '',
    'Open it in a browser. Access tokens last 40 s here (IMM_ACCESS_TOKEN_TTL), so the SDK refreshes one within',
    'a minute: watch the events beside the document. Ctrl-C stops both.',
    '',
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void demo.stop().then(() => process.exit(0)));
}
