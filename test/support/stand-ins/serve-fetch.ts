import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServedFetch {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a Web-standard handler over real HTTP on 127.0.0.1, for clients msw cannot reach (other
 * processes). A `Response.error()` answer (a stand-in's connection reset) destroys the socket, so
 * the client sees the connection drop, as it would from a real server.
 *
 * @example
 * const served = await serveFetch((request) => stripe.fetch(request));
 * process.env.STRIPE_API_BASE = served.url;
 */
export async function serveFetch(handler: (request: Request) => Promise<Response>, options: { port?: number } = {}): Promise<ServedFetch> {
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      }
      const request = new Request(`${origin}${req.url}`, { method: req.method, headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) });
      const response = await handler(request);
      if (response.type === "error") {
        req.socket.destroy();
        return;
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`stand-in failed: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
