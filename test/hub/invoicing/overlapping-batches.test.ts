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
 * invoices and has committed. The write of a batch that `holdWrite` names is held until the next
 * batch has locked its customers (or 5 s have passed, when batches do not overlap), so the order
 * below is the run's own and not the machine's speed.
 */
function tracing(inner: Store, holdWrite: (batch: string) => boolean) {
  const steps: Step[] = [];
  let nextLocked = () => {};
  const withSteps = (sql: Sql, batch: { first?: string }): Sql => ({
    async query(text, params, options) {
      if (text.includes("FOR UPDATE") && text.includes("FROM customers")) {
        batch.first = (params![0] as string[])[0]!;
        steps.push({ step: "lock", batch: batch.first });
        nextLocked();
      }
      if (text.includes("INSERT INTO invoices")) {
        steps.push({ step: "write", batch: batch.first! });
        if (holdWrite(batch.first!)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5_000);
            nextLocked = () => (clearTimeout(timer), resolve());
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
  it("locks and prices the next batch while one writes, and writes each batch only after the one before committed", async () => {
    const ids = ["ov1", "ov2", "ov3", "ov4", "ov5", "ov6"];
    for (const id of ids) {
      await customer(hub, id, { plan: "pro" });
      await use(hub, id, "api_calls", 1500, "2026-06-10T00:00:00Z");
    }
    // Every batch but the last (ov5, ov6) waits at its write for the next one.
    const traced = tracing(store, (batch) => batch !== "ov5");
    const run = await invoicingHub(traced.store, clock.now);
    const result = await run.runInvoices({ period: "2026-06", batchSize: 2 });
    await run.close();
    expect(result).toMatchObject({ invoiced: 6, failed: [] });

    const at = (step: Step["step"], batch: string) => traced.steps.findIndex((s) => s.step === step && s.batch === batch);
    for (const [before, batch] of [["ov1", "ov3"], ["ov3", "ov5"]] as const) {
      expect(at("lock", batch)).toBeLessThan(at("commit", before));
      expect(at("write", batch)).toBeGreaterThan(at("commit", before));
    }
    const june = (await hub.listInvoices({ period: "2026-06" })).invoices;
    expect(june.map((invoice) => invoice.customerId)).toEqual(ids);
    expect(june.map((invoice) => invoice.number)).toEqual(ids.map((_, index) => june[0]!.number + index));
  });

  it("runs one batch after another on a pool of one connection, and invoices everyone", async () => {
    const ids = ["one1", "one2", "one3", "one4", "one5"];
    for (const id of ids) {
      await customer(hub, id, { plan: "pro" });
      await use(hub, id, "api_calls", 1200, "2026-05-10T00:00:00Z");
    }
    const single = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, maxConnections: 1 });
    const traced = tracing(single, () => false);
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
