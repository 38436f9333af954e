import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import type { AuthorizeRequest, ConsumeEvent, ConsumeRequest, EntitlementHooks } from "../../src/hub/entitlement-hooks.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { entitlementsCatalog, testClock } from "./entitlements-catalog.ts";
import { usageRecorder } from "./usage-recorder.ts";

let store: TestStore;
const clock = testClock("2026-03-18T10:30:00Z");
const hubs: Hub[] = [];
let n = 0;

async function hubWith(hooks: EntitlementHooks): Promise<Hub> {
  const hub = await createHub({ catalog: entitlementsCatalog }, { store, now: clock.now, hooks });
  hubs.push(hub);
  return hub;
}
async function customer(hub: Hub, metadata: Record<string, unknown> = {}): Promise<string> {
  const id = `hook_${++n}`;
  await hub.upsertCustomer({ id, metadata });
  return id;
}
const eventCount = async (id: string) => Number((await store.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1", [id])).rows[0]!.n);

beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  for (const hub of hubs) await hub.close();
  await store.cleanup();
});

describe("authorize rule", () => {
  it("refuses checks, cans and consumes it says no to with FORBIDDEN and its reason, recording nothing", async () => {
    const hub = await hubWith({ authorize: ({ customer }) => (customer.metadata.suspended ? { refuse: "Account suspended" } : true) });
    const id = await customer(hub, { suspended: true });
    expect(await hub.check(id, "api")).toMatchObject({ allowed: false, limit: 100, remaining: 100, refusal: { code: "FORBIDDEN", reason: "Account suspended" } });
    expect(await hub.can(id, "api")).toBe(false);
    expect(await hub.consume(id, "api", 1, "hook-a-1")).toMatchObject({ status: "refused", refusal: { code: "FORBIDDEN", reason: "Account suspended" } });
    expect(await eventCount(id)).toBe(0);
    const fine = await customer(hub);
    expect(await hub.can(fine, "api")).toBe(true);
  });

  it("is told the customer, the feature and the exact amount", async () => {
    const seen: AuthorizeRequest[] = [];
    const hub = await hubWith({ authorize: (request) => (seen.push(request), true) });
    const id = await customer(hub, { team: "blue" });
    await hub.check(id, "seats", { amount: "2.50" });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ customer: { id, plan: "free", metadata: { team: "blue" } }, feature: { key: "seats", type: "static" }, amount: "2.5" });
  });

  it("gives a default reason when it answers false", async () => {
    const hub = await hubWith({ authorize: () => false });
    const result = await hub.check(await customer(hub), "api");
    expect(result.refusal).toEqual({ code: "FORBIDDEN", reason: 'Refused by the authorize rule for feature "api"' });
  });

  it("fails loudly when it answers something other than true, false or { refuse }", async () => {
    const hub = await hubWith({ authorize: (() => undefined) as never });
    await expect(hub.check(await customer(hub), "api")).rejects.toMatchObject({ code: "INTERNAL", field: "hooks.authorize" });
  });
});

describe("consume hooks", () => {
  it("passes a beforeConsume refusal's reason to the caller as HOOK_REFUSED and records nothing", async () => {
    const hub = await hubWith({ beforeConsume: ({ amount }) => (amount === "50" ? { refuse: "At most 10 at a time" } : undefined) });
    const id = await customer(hub);
    expect(await hub.consume(id, "api", 50, "hook-b-1")).toMatchObject({ status: "refused", allowed: false, used: 0, refusal: { code: "HOOK_REFUSED", reason: "At most 10 at a time" } });
    expect(await eventCount(id)).toBe(0);
    expect((await hub.consume(id, "api", 5, "hook-b-2")).status).toBe("created");
  });

  it("shows beforeConsume the check before the usage, and only when the limit has room", async () => {
    const seen: ConsumeRequest[] = [];
    const hub = await hubWith({ beforeConsume: (request) => void seen.push(request) });
    const id = await customer(hub);
    await usageRecorder(hub)(id, "api_calls", 90, "2026-03-10T00:00:00Z");
    await hub.consume(id, "api", 4, "hook-c-1");
    await hub.consume(id, "api", 7, "hook-c-2");
    await hub.consume(id, "api", 4, "hook-c-1");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ transactionId: "hook-c-1", amount: "4", customer: { id }, check: { allowed: true, used: 90, remaining: 10 } });
  });

  it("rolls the consume back when beforeConsume throws", async () => {
    const hub = await hubWith({
      beforeConsume: () => {
        throw new Error("rate limiter down");
      },
    });
    const id = await customer(hub);
    await expect(hub.consume(id, "api", 1, "hook-d-1")).rejects.toThrow("rate limiter down");
    expect(await eventCount(id)).toBe(0);
  });

  it("tells afterConsume every outcome: created, refused and duplicate", async () => {
    const events: ConsumeEvent[] = [];
    const hub = await hubWith({ afterConsume: (event) => void events.push(event) });
    const id = await customer(hub);
    await hub.consume(id, "api", 100, "hook-e-1");
    await hub.consume(id, "api", 1, "hook-e-2");
    await hub.consume(id, "api", 100, "hook-e-1");
    expect(events.map((event) => [event.transactionId, event.result.status])).toEqual([
      ["hook-e-1", "created"],
      ["hook-e-2", "refused"],
      ["hook-e-1", "duplicate"],
    ]);
  });

  it("keeps the usage recorded when afterConsume throws, so a retry is a duplicate", async () => {
    let fail = true;
    const hub = await hubWith({
      afterConsume: () => {
        if (fail) throw new Error("metrics down");
      },
    });
    const id = await customer(hub);
    await expect(hub.consume(id, "api", 2, "hook-f-1")).rejects.toThrow("metrics down");
    fail = false;
    expect(await hub.consume(id, "api", 2, "hook-f-1")).toMatchObject({ status: "duplicate", used: 2 });
    expect(await eventCount(id)).toBe(1);
  });
});
