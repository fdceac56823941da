/**
 * The peer's server: oidc-provider 9 (a dev-dependency) as a token server configured for the cheapest refresh
 * it allows, run as its own process like the ceiling (`node dist/bench/peerServer.js` prints
 * `listening on http://127.0.0.1:PORT`):
 * - refresh-token rotation on every refresh (`rotateRefreshToken: true`), so a refresh token is spent once;
 * - its own in-memory adapter, on an LRU whose capacity is raised from 1 000 to 10 M entries so that nothing
 *   minted for the run is evicted;
 * - opaque access and refresh tokens (its default without resource indicators);
 * - ID tokens signed HS256 with the client's secret (the cheapest signature it allows; a refresh with the
 *   `openid` scope signs a new one);
 * - one confidential client authenticating with client_secret_basic;
 * - a minimal interaction handler at /interaction/:uid in place of its HTML login and consent pages: it logs the
 *   bench user in and grants `openid offline_access` through the provider's own API (interactionDetails,
 *   Grant, interactionFinished), so a refresh token is minted by the real authorization-code flow.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';
// Its own in-memory adapter and LRU: deep imports of the package's files (typed in bench/oidcProvider.d.ts).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { PEER_ACCOUNT, PEER_CLIENT } from './peerClient.js';

const server = http.createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const store = new LRU({ maxSize: 10_000_000 });

const provider = new Provider(issuer, {
  adapter: (model: string) => new MemoryAdapter(model, store),
  clients: [
    {
      client_id: PEER_CLIENT.client_id,
      client_secret: PEER_CLIENT.client_secret,
      redirect_uris: [PEER_CLIENT.redirect_uri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'HS256',
    },
  ],
  enabledJWA: { idTokenSigningAlgValues: ['HS256'] },
  // Its signing keys (unused by an HS256 ID token; without them it would warn and make development keys).
  jwks: { keys: [generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  rotateRefreshToken: true,
  findAccount: (_ctx: unknown, accountId: string) => ({ accountId, claims: () => ({ sub: accountId }) }),
});
const providerCallback = provider.callback();

/** Login and consent at once: the bench user, `openid offline_access` granted to the client. */
async function interaction(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({ accountId: PEER_ACCOUNT, clientId: String(details.params.client_id) });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: PEER_ACCOUNT }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

server.on('request', (req, res) => {
  if (req.url?.startsWith('/interaction/')) {
    interaction(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  } else {
    void providerCallback(req, res);
  }
});
server.keepAliveTimeout = 72_000;
process.stdout.write(`listening on ${issuer}\n`);
// Nothing to flush (its store is memory): exit at once, even with connections still open.
process.on('SIGTERM', () => process.exit(0));
