import { startStripeStandIn } from "../test/support/stand-ins/stripe-server.ts";

/**
 * The Stripe stand-in (test/support) over real HTTP in a process of its own, driven over IPC by
 * the forwarder benchmark: `{ type: "stats", prefix }` counts what arrived under identifiers with
 * that prefix, `{ type: "expire-sessions" }` ends every v2 session as their 15 minutes running out
 * would, `{ type: "reset" }` forgets everything.
 */
const server = await startStripeStandIn();

export interface StandInStats {
  type: "stats";
  /** Events held under the prefix (each identifier once). */
  held: number;
  /** Arrivals under the prefix, duplicates included. */
  arrivals: number;
  /** Identifiers under the prefix that arrived more than once. */
  duplicates: number;
  sessionsCreated: number;
  streamCalls: number;
  meterEventCalls: number;
}

process.on("message", (message: { type: string; prefix?: string; id: number }) => {
  const reply = (body: object) => process.send!({ id: message.id, ...body });
  switch (message.type) {
    case "stats": {
      const prefix = message.prefix ?? "";
      const state = server.state;
      let arrivals = 0;
      let duplicates = 0;
      for (const [identifier, count] of state.arrivals()) {
        if (!identifier.startsWith(prefix)) continue;
        arrivals += count;
        if (count > 1) duplicates += 1;
      }
      reply({
        type: "stats",
        held: state.events().filter((event) => event.identifier.startsWith(prefix)).length,
        arrivals,
        duplicates,
        sessionsCreated: state.calls("meter_event_session").length,
        streamCalls: state.calls("meter_event_stream").length,
        meterEventCalls: state.calls("meter_events").length,
      } satisfies StandInStats);
      break;
    }
    case "expire-sessions":
      server.state.expireSessions();
      reply({ type: "ok" });
      break;
    case "reset":
      server.state.reset();
      reply({ type: "ok" });
      break;
    case "close":
      void server.close().then(() => {
        reply({ type: "ok" });
        process.disconnect();
      });
      break;
    default:
      reply({ type: "error", message: `unknown message ${message.type}` });
  }
});
process.send!({ id: 0, type: "listening", url: server.url });
