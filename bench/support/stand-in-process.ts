import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StandInSettings, StandInStats } from "../stripe-stand-in-process.ts";

const STAND_IN = fileURLToPath(new URL("../stripe-stand-in-process.ts", import.meta.url));

/** A live-mode key, so that the adapter paces to Stripe's live limits, which the stand-in enforces. */
export const SECRET_KEY = "sk_live_bench_forwarder";
/** The Stripe meter's event name the bench meter is mapped to. */
export const EVENT_NAME = "api_call";

export interface StandIn {
  url: string;
  configure(settings: StandInSettings): Promise<void>;
  stats(prefix: string): Promise<StandInStats>;
  expireSessions(): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the Stripe stand-in in its own process, so the forwarder and the stand-in do not share an event loop. */
export async function startStandIn(): Promise<StandIn> {
  const child: ChildProcess = fork(STAND_IN, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, (reply: unknown) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.on("message", (reply: { id: number; type: string; url?: string }) => {
      if (reply.type === "listening") resolve(reply.url!);
      waiting.get(reply.id)?.(reply);
      waiting.delete(reply.id);
    });
    child.once("exit", (code) => reject(new Error(`the Stripe stand-in exited (${code})`)));
  });
  const ask = <T>(message: object) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve as (reply: unknown) => void);
      child.send({ ...message, id });
    });
  return {
    url,
    configure: async (settings) => void (await ask({ type: "configure", ...settings })),
    stats: (prefix) => ask<StandInStats>({ type: "stats", prefix }),
    expireSessions: async () => void (await ask({ type: "expire-sessions" })),
    reset: async () => void (await ask({ type: "reset" })),
    async close() {
      await ask({ type: "close" });
      child.kill();
    },
  };
}

/**
 * Every meter of fixtures/catalog.json mapped to a Stripe meter (the hub refuses a Stripe setup
 * that would leave a charged meter unbilled); the benchmarks send `api_calls` events only.
 */
export function stripeMeters(eventName: string) {
  return { api_calls: { eventName }, llm_tokens: { eventName: "llm_tokens" }, storage_gb_hours: { eventName: "storage_gb_hours" }, active_models: { eventName: "active_models" } };
}
