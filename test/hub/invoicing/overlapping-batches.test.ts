import { afterAll, beforeAll, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { openPgStore } from "../../../src/store/pg-driver.ts";
import type { Sql, Store } from "../../../src/store/types.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { DATABASE_URL, describeOnPostgres, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now);
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

type Step = { step: "lock" | "write" | "commit"; batch: string };

/**
 * The store, noting when each batch (named by its first customer) locks its customers, writes its
 * invoices and has committed. The write of a batch that `holdWriteUntil` maps to another batch is
 * held until that batch has locked its customers (or 5 s have passed, when it never does), so the
 * order below is the run's own and not the machine's speed.
 */
function tracing(inner: Store, holdWriteUntil: (batch: string) => string | undefined) {
  const steps: Step[] = [];
  const waiting = new Map<string, () => void>();
  const withSteps = (sql: Sql, batch: { first?: string }): Sql => ({
    async query(text, params, options) {
      if (text.includes("FOR UPDATE") && text.includes("FROM customers")) {
        batch.first = (params![0] as string[])[0]!;
        steps.push({ step: "lock", batch: batch.first });
        waiting.get(batch.first)?.();
      }
      if (text.includes("INSERT INTO invoices")) {
        steps.push({ step: "write", batch: batch.first! });
        const until = holdWriteUntil(batch.first!);
        if (until !== undefined && !steps.some((s) => s.step === "lock" && s.batch === until)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5_000);
            waiting.set(until, () => (clearTimeout(timer), resolve()));
          });
        }
      }
      return sql.query(text, params, options);
    },
    exec: (text) => sql.exec(text),
  });
  const store: Store = {
    ...inner,
    async transaction(fn) {
      const batch: { first?: string } = {};
      const result = await inner.transaction((tx) => fn(withSteps(tx, batch)));
      if (batch.first !== undefined) steps.push({ step: "commit", batch: batch.first });
      return result;
    },
  };
  return { store, steps };
}

describeOnPostgres("an invoice run on PostgreSQL overlaps its batches", () => {
  const overlapping = [
    { connections: 2, inFlight: 2, prefix: "ovb" },
    { connections: 4, inFlight: 3, prefix: "ovc" },
  ];
  for (const { connections, inFlight, prefix } of overlapping) {
    it(`keeps ${inFlight} batches open on a pool of ${connections} connections, and writes each batch only after the one before committed`, async () => {
      const ids = Array.from({ length: 10 }, (_, index) => `${prefix}${index}`);
      for (const id of ids) {
        await customer(hub, id, { plan: "pro" });
        await use(hub, id, "api_calls", 1500, "2026-06-10T00:00:00Z");
      }
      const batchOf = (index: number) => ids[index * 2]!;
      const pool = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, maxConnections: connections });
      // Each batch waits at its write until the last batch that may be open beside it has locked.
      const traced = tracing(pool, (batch) => {
        const index = ids.indexOf(batch) / 2;
        return index + inFlight - 1 < ids.length / 2 ? batchOf(index + inFlight - 1) : undefined;
      });
      const run = await invoicingHub(traced.store, clock.now);
      try {
        const result = await run.runInvoices({ period: "2026-06", batchSize: 2 });
        expect(result).toMatchObject({ invoiced: 10, failed: [] });
      } finally {
        await run.close();
        await pool.close();
      }

      const at = (step: Step["step"], batch: string) => traced.steps.findIndex((s) => s.step === step && s.batch === batch);
      for (let index = 1; index < ids.length / 2; index += 1) {
        // The batch writes only after the one before it committed…
        expect(at("write", batchOf(index))).toBeGreaterThan(at("commit", batchOf(index - 1)));
        // …and locked its customers while the batches before it, up to the limit, were still open.
        const oldestOpen = Math.max(0, index - inFlight + 1);
        expect(at("lock", batchOf(index))).toBeLessThan(at("commit", batchOf(oldestOpen)));
        // No more batches than that were open at once.
        if (index >= inFlight) expect(at("lock", batchOf(index))).toBeGreaterThan(at("commit", batchOf(index - inFlight)));
      }
      const june = (await hub.listInvoices({ period: "2026-06" })).invoices.filter((invoice) => ids.includes(invoice.customerId));
      expect(june.map((invoice) => invoice.customerId)).toEqual(ids);
      expect(june.map((invoice) => invoice.number)).toEqual(ids.map((_, index) => june[0]!.number + index));
    });
  }

  it("runs one batch after another on a pool of one connection, and invoices everyone", async () => {
    const ids = ["one1", "one2", "one3", "one4", "one5"];
    for (const id of ids) {
      await customer(hub, id, { plan: "pro" });
      await use(hub, id, "api_calls", 1200, "2026-05-10T00:00:00Z");
    }
    const single = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, maxConnections: 1 });
    const traced = tracing(single, () => undefined);
    const run = await invoicingHub(traced.store, clock.now);
    try {
      const result = await run.runInvoices({ period: "2026-05", batchSize: 2 });
      expect(result).toMatchObject({ invoiced: result.total, failed: [] });
    } finally {
      await run.close();
      await single.close();
    }
    // Each batch committed before the next locked its customers.
    const order = traced.steps.filter((s) => s.step !== "write");
    expect(order.length).toBeGreaterThan(2);
    order.forEach((s, index) => expect(s.step).toBe(index % 2 === 0 ? "lock" : "commit"));
    const may = (await hub.listInvoices({ period: "2026-05" })).invoices;
    expect(may.filter((invoice) => ids.includes(invoice.customerId)).map((invoice) => invoice.customerId)).toEqual(ids);
  });
});
