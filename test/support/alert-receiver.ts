import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request an alert receiver got: its headers, raw body and whether its signature verified. */
export interface Received {
  headers: Record<string, string>;
  body: string;
  verified: boolean;
}

/** How the receiver answers a request: a status, or "hang" (never answer: a timeout). */
export type Answer = number | "hang";

/**
 * A local HTTP endpoint that receives alert webhooks, verifies each with the `standardwebhooks`
 * package (as a customer's receiver would) and answers as `answer` says.
 */
export async function startReceiver(secret: string, answer: (request: Received, index: number) => Answer = () => 204) {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      let verified = true;
      try {
        new Webhook(secret).verify(body, headers);
      } catch {
        verified = false;
      }
      const entry = { headers, body, verified };
      received.push(entry);
      const reply = answer(entry, received.length - 1);
      if (reply === "hang") hanging.add(response);
      else response.writeHead(reply, { "content-type": "text/plain" }).end(reply >= 300 ? "receiver unavailable" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
