import { createServer, Socket, type Server } from "node:net";

export interface TcpProxy {
  /** Where clients connect instead of the target, e.g. 127.0.0.1:41234. */
  readonly port: number;
  /** Resets every open connection (both sides), as a failover or a restarted server does. */
  cut(): void;
  /**
   * Blackholes traffic: open connections stop carrying bytes in either direction, and their
   * closes too (a FIN or a reset from either side is not passed on, so the other side still holds
   * its end open), and new ones are accepted but never reach the target, as when a network drops
   * packets. Nothing is refused.
   */
  stall(): void;
  /** Ends a stall: stalled connections are reset (as TCP would after its retries), new ones pass. */
  heal(): void;
  close(): Promise<void>;
}

/**
 * A real TCP proxy in front of a server (PostgreSQL in the tests), for faults no mock can show:
 * connections dropped mid-transaction and a network that stops answering without closing.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();
  let stalled = false;
  // Half-open sockets, so a FIN is passed on by hand (or, during a stall, not at all).
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    client.on("error", () => {});
    if (stalled) {
      held.add(client);
      client.on("close", () => held.delete(client));
      return;
    }
    const upstream = new Socket({ allowHalfOpen: true });
    // An error closes its socket; the close handlers below decide what the other side sees.
    upstream.on("error", () => {});
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // During a stall a close does not reach the other side: it stays open until heal() resets it.
    const closeOther = (other: Socket) => () => {
      if (stalled) return;
      pairs.delete(pair);
      other.destroy();
    };
    client.on("close", closeOther(upstream));
    upstream.on("close", closeOther(client));
    client.on("end", () => {
      if (!stalled) upstream.end();
    });
    upstream.on("end", () => {
      if (!stalled) client.end();
    });
    client.on("data", (chunk) => {
      if (!stalled) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!stalled) client.write(chunk);
    });
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const resetAll = () => {
    for (const [client, upstream] of pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
    for (const socket of held) socket.resetAndDestroy();
    held.clear();
  };
  return {
    port,
    cut: resetAll,
    stall() {
      stalled = true;
    },
    heal() {
      stalled = false;
      resetAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        resetAll();
        server.close(() => resolve());
      }),
  };
}
