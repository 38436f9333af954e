import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { startServeProcess, type ServeProcess } from "../support/serve-process.ts";
import { DATABASE_URL, describeOnPostgres, openTestStore, type TestStore } from "../support/store.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor } from "../support/wait.ts";

const CATALOG = join(import.meta.dirname, "../../fixtures/catalog.json");
const KEY = "reliability-database-faults-key-0123";
const CUSTOMERS = ["df_a", "df_b", "df_c", "df_d"];
/** Requests the load keeps in flight at once, half usage records and half consumes. */
const SENDERS = 12;

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
}

/** One write the load sends: a usage record or a consume, idempotent by its transactionId. */
interface Write {
  transactionId: string;
  path: "/v1/usage" | "/v1/entitlements/consume";
  body: Record<string, unknown>;
}

function writeNumber(n: number): Write {
  const customerId = CUSTOMERS[n % CUSTOMERS.length]!;
  const transactionId = `df_${n}`;
  return n % 2 === 0
    ? { transactionId, path: "/v1/usage", body: { customerId, meter: "api_calls", quantity: 1, transactionId } }
    : { transactionId, path: "/v1/entitlements/consume", body: { customerId, feature: "api", amount: 1, transactionId } };
}

async function send(url: string, write: Write): Promise<Answer | "no answer"> {
  try {
    const response = await fetch(`${url}${write.path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify(write.body),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { error?: { code?: string } };
    return { status: response.status, code: body.error?.code, retryAfter: response.headers.get("retry-after") };
  } catch {
    return "no answer";
  }
}

describeOnPostgres("billhub serve while PostgreSQL drops and stalls its connections (TCP proxy)", () => {
  let store: TestStore;
  let proxy: TcpProxy;
  let server: ServeProcess;

  beforeAll(async () => {
    store = await openTestStore();
    const seed = await createHub({ catalog: CATALOG }, { store });
    for (const id of CUSTOMERS) {
      await seed.upsertCustomer({ id });
      await seed.assign(id, "pro");
    }
    await seed.close();
    const target = new URL(DATABASE_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(DATABASE_URL!);
    proxied.host = `127.0.0.1:${proxy.port}`;
    server = await startServeProcess({
      DATABASE_URL: proxied.toString(),
      BILLHUB_SCHEMA: store.schema,
      BILLHUB_CATALOG: CATALOG,
      BILLHUB_API_KEYS: `${KEY}:write`,
      // Short deadlines so the test's stall is long beside them; the defaults are 5/15/20 s.
      BILLHUB_STORE_CONNECT_TIMEOUT_MS: "1000",
      BILLHUB_STORE_STATEMENT_TIMEOUT_MS: "2000",
      BILLHUB_STORE_QUERY_TIMEOUT_MS: "3000",
    });
  }, 120_000);
  afterAll(async () => {
    await server?.kill();
    await proxy?.close();
    await store?.cleanup();
  });

  it("stays up, answers 503 with Retry-After (never 500) during cuts and a stall, recovers by itself, and keeps every acknowledged write exactly once", async () => {
    const answers: Array<{ write: Write; answer: Answer | "no answer" }> = [];
    const acknowledged = new Set<string>();
    let next = 0;
    let loading = true;
    const sender = async () => {
      while (loading) {
        const write = writeNumber(next++);
        const answer = await send(server.url, write);
        answers.push({ write, answer });
        if (answer !== "no answer" && answer.status < 300) acknowledged.add(write.transactionId);
      }
    };
    const load = Promise.all(Array.from({ length: SENDERS }, sender));
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    await waitFor("writes to be acknowledged before any fault", () => acknowledged.size >= 50, { timeoutMs: 60_000 });
    // Connections reset mid-transaction, twice, under load.
    proxy.cut();
    await pause(300);
    proxy.cut();
    await waitFor("writes to be acknowledged again after the cuts", () => acknowledged.size >= 150, { timeoutMs: 60_000 });

    // The network stops answering. Readiness says so quickly, whatever the pool is stuck on.
    proxy.stall();
    await pause(500);
    const probeStarted = Date.now();
    const readiness = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(30_000) });
    const probeMs = Date.now() - probeStarted;
    expect(readiness.status).toBe(503);
    expect(probeMs).toBeLessThan(5_000);
    expect(readiness.headers.get("retry-after")).not.toBeNull();
    await pause(6_000);

    proxy.heal();
    const healed = Date.now();
    const countAtHeal = acknowledged.size;
    await waitFor("a write acknowledged after the network healed", () => acknowledged.size > countAtHeal + 20, { timeoutMs: 15_000, intervalMs: 100 });
    const recoveryMs = Date.now() - healed;
    await waitFor("readiness after healing", async () => (await fetch(`${server.url}/readyz`)).status === 200, { timeoutMs: 15_000 });
    loading = false;
    await load;

    // The process never went down.
    expect(server.output()).not.toMatch(/Unhandled|uncaught|Connection terminated unexpectedly\n\s+at/i);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const failures = answers.filter(({ answer }) => answer === "no answer" || answer.status >= 300);
    const statuses = new Map<string, number>();
    for (const { answer } of answers) {
      const key = answer === "no answer" ? "no answer" : `${answer.status}${answer.code ? ` ${answer.code}` : ""}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    // Every failure is the store being unavailable, said as such: no 500, no lost connection.
    expect(answers.filter(({ answer }) => answer === "no answer" || answer.status >= 500 && answer.status !== 503)).toEqual([]);
    for (const { answer } of failures) {
      expect(answer).toMatchObject({ status: 503, code: "STORE_UNAVAILABLE" });
      expect((answer as Answer).retryAfter).not.toBeNull();
    }

    // The client retries what failed, with the same transactionId: created or duplicate, never a conflict.
    const unacknowledged = [...new Map(failures.map(({ write }) => [write.transactionId, write])).values()].filter((w) => !acknowledged.has(w.transactionId));
    for (const write of unacknowledged) {
      const answer = await send(server.url, write);
      expect(answer, write.transactionId).toMatchObject({ status: expect.any(Number) });
      expect([200, 201], `${write.transactionId}: ${JSON.stringify(answer)}`).toContain((answer as Answer).status);
      acknowledged.add(write.transactionId);
    }

    // The ledger holds every acknowledged write exactly once, and nothing else.
    const { rows } = await store.query<{ transaction_id: string; n: number }>(
      "SELECT transaction_id, count(*)::int AS n FROM usage_events WHERE transaction_id LIKE 'df\\_%' GROUP BY transaction_id",
    );
    expect(rows.filter((row) => row.n !== 1)).toEqual([]);
    expect(rows.map((row) => row.transaction_id).sort()).toEqual([...acknowledged].sort());

    console.log(
      `[database faults] ${answers.length} requests under load (${[...statuses].map(([k, v]) => `${k}: ${v}`).join(", ")}); ` +
        `/readyz answered 503 in ${probeMs} ms during the stall; writes recovered ${recoveryMs} ms after healing; ` +
        `${unacknowledged.length} retried after recovery; ${acknowledged.size} writes in the ledger exactly once`,
    );
  }, 240_000);
});
