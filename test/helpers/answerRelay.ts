/**
 * A TCP relay in front of one node, for the reliability suite. Requests pass at once; while answers are held,
 * what the node sends back is kept here instead of reaching the client. If the node dies meanwhile, its held
 * answers are dropped and the client's connection is closed: the client sees exactly what it would if the node
 * had died after committing a call and before its answer left the machine — the case the refresh retry window
 * is for. Released, held answers go on to their clients.
 */
import net from 'node:net';

export interface AnswerRelay {
  /** http://127.0.0.1:PORT of the relay: what clients call instead of the node. */
  url: string;
  /** Points new connections at another port (the node restarted). */
  retarget(port: number): void;
  /** Holds every answer from now on; the returned function lets them (and later ones) through again. */
  hold(): () => void;
  /** How many connections have an answer held back now. */
  heldAnswers(): number;
  /**
   * Resolves once every connection to the node has closed (at most `ms`): after the node died, so that the
   * relay has dropped what the dead node had answered before anything is released.
   */
  upstreamsClosed(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function answerRelay(targetPort: number): Promise<AnswerRelay> {
  let port = targetPort;
  let holding = false;
  const pending = new Set<() => void>(); // flushers of connections with held answers
  const sockets = new Set<net.Socket>();
  const upstreams = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstreams.add(upstream);
    let held: Buffer[] = [];
    const flush = () => {
      for (const chunk of held) client.write(chunk);
      held = [];
      pending.delete(flush);
    };
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!holding) return void client.write(chunk);
      held.push(chunk);
      pending.add(flush);
    });
    // The node went away: whatever it had answered but was held is lost with it.
    upstream.on('close', () => {
      upstreams.delete(upstream);
      held = [];
      pending.delete(flush);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    retarget(next) {
      port = next;
    },
    hold() {
      holding = true;
      return () => {
        holding = false;
        for (const flush of [...pending]) flush();
      };
    },
    heldAnswers: () => pending.size,
    async upstreamsClosed(ms = 2000) {
      for (const until = Date.now() + ms; upstreams.size > 0 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
