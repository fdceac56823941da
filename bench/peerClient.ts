/** The one client and account of the peer (bench/peerServer.ts), shared with the driver that mints its tokens (bench/peer.ts). */
export const PEER_CLIENT = {
  client_id: 'bench',
  client_secret: 'bench-secret-0123456789abcdef0123456789abcdef',
  redirect_uri: 'https://client.example/cb',
};
export const PEER_ACCOUNT = 'bench-user';
