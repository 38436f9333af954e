import { serve, type ServerType } from "@hono/node-server";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BillingError } from "../core/errors.ts";
import type { Hub } from "../hub.ts";
import { createApp } from "./app.ts";
import { catalogSyncs, startCatalogSync } from "./catalog-sync.ts";

export interface RunningServer {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  /**
   * Stops accepting connections at once, lets requests in flight finish (their connections then
   * close), lets the forwarder settle its current claim, stops the catalog sync, then closes the hub.
   */
  close(): Promise<void>;
}

/**
 * Serves the hub over HTTP on Node. `port: 0` picks a free port (tests). Unless
 * `forwarder.enabled` is false, the outbox forwarder runs alongside, following the outbox. A
 * provider that keeps a catalog billhub pulls (`flowglad.catalogSyncIntervalMs`) has it pulled on
 * its interval.
 */
export async function startServer(hub: Hub, options: { port?: number; host?: string; log?: (line: string) => void } = {}): Promise<RunningServer> {
  const app = createApp(hub);
  const host = options.host ?? hub.config.server.host;
  const wanted = options.port ?? hub.config.server.port;
  const server: ServerType = await new Promise((resolve, reject) => {
    const { requestTimeoutMs, headersTimeoutMs } = hub.config.server;
    const serverOptions = {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      // How often Node looks for requests past those deadlines (default 30 s, which would let a
      // slow body run up to twice its deadline).
      connectionsCheckingInterval: 1_000,
    };
    // overrideGlobalObjects: false — the server must not swap the process's global Request and
    // Response for its own (a host app's fetch, or msw in tests, would get them).
    const s = serve({ fetch: app.fetch, port: wanted, hostname: host, serverOptions, overrideGlobalObjects: false }, () => {
      s.off("error", refused);
      resolve(s);
    });
    // Without a listener a taken port is an uncaught 'error' event: a stack trace and exit.
    function refused(error: NodeJS.ErrnoException) {
      const why = error.code === "EADDRINUSE" ? "is already in use (another billhub or another program); stop it or choose another PORT" : error.code === "EACCES" ? "needs privileges this process does not have; choose a PORT above 1023" : `cannot be listened on (${error.code ?? error.message})`;
      reject(new BillingError("LISTEN_FAILED", `${host}:${wanted} ${why}`, { field: "server.port", cause: error }));
    }
    s.once("error", refused);
  });
  const { port } = server.address() as AddressInfo;
  // Responses not yet sent when shutdown begins (and any request still arriving on an open
  // keep-alive connection) answer with `Connection: close`, so their connections end with them
  // instead of idling until the keep-alive timeout and holding the shutdown up.
  const pending = new Set<ServerResponse>();
  let closing: Promise<void> | undefined;
  const http = server as Server;
  http.on("request", (_request: IncomingMessage, response: ServerResponse) => {
    if (closing !== undefined && !response.headersSent) response.setHeader("connection", "close");
    pending.add(response);
    response.once("close", () => pending.delete(response));
  });
  const log = options.log ?? console.error;
  const syncs = catalogSyncs(hub).map(({ provider, intervalMs }) => startCatalogSync(hub, intervalMs, log, provider));
  const stopForwarding = new AbortController();
  const forwarding = hub.config.forwarder.enabled
    ? hub.outbox.drain({ follow: true, signal: stopForwarding.signal, log }).then(
        () => undefined,
        (error: unknown) => log(`billhub: the forwarder stopped: ${(error as Error).message}`),
      )
    : undefined;
  // Alert webhooks go out from the same process, and recorded usage is evaluated against the usage
  // and spend alerts there, unless turned off (senders elsewhere) or there is nothing to do.
  const recordedUsageAlerts = Object.values(hub.catalog.alerts).some((alert) => alert.kind === "usage" || alert.kind === "spend");
  const alerting =
    hub.config.alerts.delivery.enabled && (Object.keys(hub.config.alerts.endpoints).length > 0 || recordedUsageAlerts)
      ? hub.alerts.deliver({ follow: true, signal: stopForwarding.signal, log }).then(
          () => undefined,
          (error: unknown) => log(`billhub: the alert sender stopped: ${(error as Error).message}`),
        )
      : undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve, reject) => {
          http.close((error) => (error ? reject(error) : resolve()));
          http.closeIdleConnections();
        });
        for (const response of pending) if (!response.headersSent) response.setHeader("connection", "close");
        // The forwarder finishes and settles its current claim; the rest stays queued for the next start.
        stopForwarding.abort();
        await forwarding;
        await alerting;
        await Promise.all(syncs.map((sync) => sync.stop()));
        await stopped;
        await hub.close();
      })();
      return closing;
    },
  };
}
