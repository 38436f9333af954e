import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor } from "../support/wait.ts";

/**
 * The fault proxy the database-fault tests rely on, checked on its own against a plain TCP server:
 * a stall must behave like a network that drops packets, closes included, or a test of "the
 * database stopped answering" passes on a connection the peer saw closed.
 */
describe("the TCP fault proxy", () => {
  let server: Server | undefined;
  let proxy: TcpProxy | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    await proxy?.close();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** A target that records what reached it: bytes, a FIN, a close. */
  async function target() {
    const seen = { data: "", ended: false, closed: false };
    server = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("data", (chunk) => (seen.data += chunk.toString()));
      socket.on("end", () => (seen.ended = true));
      socket.on("close", () => (seen.closed = true));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as { port: number }).port, seen };
  }

  const connectTo = (port: number) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" }, () => resolve(socket));
      sockets.add(socket);
      socket.once("error", reject);
      socket.on("error", () => {});
    });

  it("passes bytes and a FIN through while the network is healthy", async () => {
    const { port, seen } = await target();
    proxy = await startTcpProxy({ host: "127.0.0.1", port });
    const client = await connectTo(proxy.port);
    client.end("hello");
    await waitFor("the FIN at the target", () => seen.ended, { timeoutMs: 2_000 });
    expect(seen.data).toBe("hello");
  });

  it("holds back bytes, a FIN and a reset during a stall, and resets the target's side when it heals", async () => {
    const { port, seen } = await target();
    proxy = await startTcpProxy({ host: "127.0.0.1", port });
    const client = await connectTo(proxy.port);
    client.write("before");
    await waitFor("the bytes sent before the stall", () => seen.data === "before", { timeoutMs: 2_000 });
    proxy.stall();
    client.end("during");
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual({ data: "before", ended: false, closed: false });
    proxy.heal();
    await waitFor("the target's side closed after healing", () => seen.closed, { timeoutMs: 2_000 });
  });
});
