import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { storeOf } from "../../src/hub/hub-internals.ts";
import { DEPRECATED_ALIASES, FLAT_METHODS, NAMESPACE_ONLY_MEMBERS } from "../../src/hub/namespaces.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { FLOWGLAD_BASE, useWebhookHub } from "../support/webhook-hub.ts";

const NOW = new Date("2026-04-01T00:00:00.000Z");
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_BASE, now: () => NOW });
const env = useWebhookHub(() => NOW, [flowglad]);

type Members = Record<string, unknown>;
const member = (hub: Hub, namespace: string, name: string) => ((hub as unknown as Record<string, Members>)[namespace] as Members)[name];
const alias = (hub: Hub, name: string) => (hub as unknown as Members)[name];

describe("the namespaced hub and its deprecated flat aliases", () => {
  it("makes every deprecated flat member the very function of its namespaced member (one implementation, one span)", () => {
    for (const [flat, namespace, name] of DEPRECATED_ALIASES) {
      expect(typeof member(env.hub, namespace, name), `hub.${namespace}.${name}`).toBe("function");
      expect(alias(env.hub, flat), `hub.${flat} is hub.${namespace}.${name}`).toBe(member(env.hub, namespace, name));
    }
  });

  it("puts nothing in a namespace that the alias table does not name, so the table is the whole API of customers, invoices, ledger and prices", () => {
    for (const namespace of ["customers", "invoices", "ledger", "prices"] as const) {
      const named = [...DEPRECATED_ALIASES.filter(([, ns]) => ns === namespace).map(([, , name]) => name), ...NAMESPACE_ONLY_MEMBERS.filter(([ns]) => ns === namespace).map(([, name]) => name)];
      expect(Object.keys(env.hub[namespace]).sort(), namespace).toEqual([...named].sort());
    }
  });

  it("keeps the request-time calls flat", () => {
    for (const name of FLAT_METHODS) expect(typeof env.hub[name], name).toBe("function");
  });

  it("answers the same through the alias and the namespace: a customer written one way reads the same the other way", async () => {
    const viaAlias = await env.hub.upsertCustomer({ id: "ns_alias", email: "alias@example.test" });
    const viaNamespace = await env.hub.customers.upsert({ id: "ns_alias", name: "Alias" });
    expect(viaAlias.created).toBe(true);
    expect(viaNamespace.created).toBe(false);
    expect(await env.hub.getCustomer("ns_alias")).toEqual(await env.hub.customers.get("ns_alias"));
    await env.hub.customers.assign("ns_alias", "team");
    expect(await env.hub.planHistory("ns_alias")).toEqual(await env.hub.customers.planHistory("ns_alias"));
    expect(await env.hub.previewInvoice("ns_alias")).toEqual(await env.hub.invoices.preview("ns_alias"));
    await expect(env.hub.getInvoice("inv_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(env.hub.invoices.get("inv_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses bad input the same way through both names: the same code and field", async () => {
    const refusal = (promise: Promise<unknown>) => promise.then(() => "accepted", (error: { code: string; field?: string }) => ({ code: error.code, field: error.field }));
    expect(await refusal(env.hub.customers.upsert({ id: "" }))).toMatchObject({ code: "VALIDATION_FAILED", field: "id" });
    expect(await refusal(env.hub.customers.upsert({ id: "" }))).toEqual(await refusal(env.hub.upsertCustomer({ id: "" })));
    expect(await refusal(env.hub.customers.assign("ns_missing", "pro"))).toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect(await refusal(env.hub.customers.assign("ns_missing", "pro"))).toEqual(await refusal(env.hub.assign("ns_missing", "pro")));
    expect(await refusal(env.hub.ledger.events({ customerId: "ns_alias", limit: 0 } as never))).not.toBe("accepted");
    expect(await refusal(env.hub.ledger.events({ customerId: "ns_alias", limit: 0 } as never))).toEqual(await refusal(env.hub.listEvents({ customerId: "ns_alias", limit: 0 } as never)));
  });

  it("syncs a provider's catalog the same through sync<Provider>Catalog() and prices.sync(provider)", async () => {
    const first = await env.hub.syncFlowgladCatalog();
    expect(first).toMatchObject({ provider: "flowglad", added: ["pro_monthly", "api_calls_usage"] });
    expect(await env.hub.prices.sync("flowglad")).toMatchObject({ provider: "flowglad", added: [], changed: [], removed: [], unchanged: 2 });
    expect(await env.hub.priceHistory({ provider: "flowglad" })).toEqual(await env.hub.prices.history({ provider: "flowglad" }));
  });

  it("marks each deprecated member @deprecated naming the namespaced member to use", () => {
    const source = readFileSync(new URL("../../src/hub/namespaces.ts", import.meta.url), "utf8");
    for (const [flat, namespace, name] of DEPRECATED_ALIASES) {
      expect(source, flat).toContain(`/** @deprecated Use \`hub.${namespace}.${name}\`. */\n  readonly ${flat}:`);
    }
  });

  it("lists every deprecated name and its replacement in docs/HUB.md", () => {
    const doc = readFileSync(new URL("../../docs/HUB.md", import.meta.url), "utf8");
    for (const [flat, namespace, name] of DEPRECATED_ALIASES) expect(doc, flat).toContain(`| \`hub.${flat}\` | \`hub.${namespace}.${name}\` |`);
  });

  it("keeps the store off the hub's public members; billhub's own commands reach it with storeOf", async () => {
    expect("store" in env.hub).toBe(false);
    expect(Object.keys(env.hub)).not.toContain("store");
    expect(storeOf(env.hub)).toBe(env.store);
    expect(() => storeOf({})).toThrow(/Not a hub built by createHub/);
  });
});
