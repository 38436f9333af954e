import { describe, expect, it } from "vitest";
import { defineCatalog, planForSubscription, type CatalogInput } from "../../../src/core/catalog/index.ts";

const input: CatalogInput = {
  currency: "USD",
  plans: {
    free: { name: "Free" },
    pro: { name: "Pro", providerPrices: { stripe: ["pro_monthly", "pro_yearly"], flowglad: ["pro"] } },
    team: { name: "Team", providerPrices: { stripe: ["team_monthly"] } },
  },
  defaultPlan: "free",
};
const providers = { providers: ["stripe", "flowglad"] };
const catalog = defineCatalog(input, providers);

describe("catalog plans: providerPrices", () => {
  it("defaults to no provider prices for each provider it is given and keeps the ones given per provider", () => {
    expect(catalog.plans.free!.providerPrices).toEqual({ stripe: [], flowglad: [] });
    expect(catalog.plans.pro!.providerPrices).toEqual({ stripe: ["pro_monthly", "pro_yearly"], flowglad: ["pro"] });
    expect(defineCatalog(input).plans.team!.providerPrices).toEqual({ stripe: ["team_monthly"] });
  });

  it("refuses a provider outside the list it is given, in price lists and in charges' prices, naming the valid ones", () => {
    const priced = { ...input, meters: { api: { aggregation: "sum" as const } }, plans: { ...input.plans, team: { name: "Team", charges: [{ key: "api", meter: "api", model: "per_unit" as const, price: { lookupKey: "api", provider: "paddle" } }] } } };
    expect(() => defineCatalog(priced, providers)).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.team.charges.0.price.provider", message: expect.stringContaining("valid providers: flowglad, stripe") }));
    const built = defineCatalog({ ...input, plans: { ...input.plans, team: { name: "Team", providerPrices: { paddle: ["x"] } } } });
    expect(() => defineCatalog(built, providers)).toThrow(expect.objectContaining({ field: "catalog.plans.team.providerPrices.paddle" }));
  });

  it("refuses a price that would put subscribers on two plans, naming both", () => {
    const clash = { ...input, plans: { ...input.plans, team: { name: "Team", providerPrices: { stripe: ["team_monthly", "pro_yearly"] } } } };
    expect(() => defineCatalog(clash)).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.team.providerPrices.stripe.1", message: expect.stringContaining('"pro_yearly" already puts subscribers on plan "pro"') }));
  });

  it("refuses a price listed twice, an unknown provider and an empty key", () => {
    const twice = { ...input, plans: { ...input.plans, team: { name: "Team", providerPrices: { stripe: ["team_monthly", "team_monthly"] } } } };
    expect(() => defineCatalog(twice)).toThrow(expect.objectContaining({ field: "catalog.plans.team.providerPrices.stripe.1", message: expect.stringContaining("twice") }));
    const paddle = { ...input, plans: { ...input.plans, team: { name: "Team", providerPrices: { paddle: ["x"] } } } };
    expect(() => defineCatalog(paddle, providers)).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.team.providerPrices.paddle" }));
    const notAnId = { ...input, plans: { ...input.plans, team: { name: "Team", providerPrices: { "Not An Id": ["x"] } } } };
    expect(() => defineCatalog(notAnId)).toThrow(expect.objectContaining({ code: "CATALOG_INVALID" }));
    const empty = { ...input, plans: { ...input.plans, team: { name: "Team", providerPrices: { stripe: [""] } } } };
    expect(() => defineCatalog(empty)).toThrow(expect.objectContaining({ field: "catalog.plans.team.providerPrices.stripe.0" }));
  });
});

describe("planForSubscription", () => {
  it("maps a subscription to the plan listing one of its prices' lookup keys, ignoring add-on prices", () => {
    expect(planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: "api_calls" }, { priceId: "price_2", lookupKey: "pro_yearly" }])).toEqual({ plan: "pro", error: null });
    expect(planForSubscription(catalog, "flowglad", [{ priceId: "price_fg", lookupKey: "pro" }])).toEqual({ plan: "pro", error: null });
  });

  it("lets billhub_plan metadata on the price, then on its product, name the plan", () => {
    expect(planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: "pro_monthly", priceMetadata: { billhub_plan: "team" } }])).toEqual({ plan: "team", error: null });
    expect(planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: null, productMetadata: { billhub_plan: "team" } }])).toEqual({ plan: "team", error: null });
  });

  it("explains how to fix a subscription that maps to no plan, to two plans, or to an unknown plan", () => {
    expect(planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: "enterprise_monthly" }, { priceId: "price_2", lookupKey: null }])).toEqual({
      plan: null,
      error: "None of the stripe subscription's prices (enterprise_monthly, price_2) maps to a plan: list one under plans.<plan>.providerPrices.stripe in the catalog, or set billhub_plan metadata on the price",
    });
    expect(planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: "pro_monthly" }, { priceId: "price_2", lookupKey: "team_monthly" }]).error).toBe(
      "The stripe subscription's prices map to several plans: pro (pro_monthly), team (team_monthly); one subscription must map to one plan",
    );
    expect(planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: null, priceMetadata: { billhub_plan: "gold" } }]).error).toBe(
      'stripe price price_1 names plan "gold" in its billhub_plan metadata; valid plans: free, pro, team',
    );
  });
});
