import { describe, expect, it } from "vitest";
import { routeFor } from "../../src/providers/routing.ts";

const config = { default: "stripe" as const, routes: { cus_legacy: "flowglad" as const, cus_self: "manual" as const }, mirror: ["flowglad" as const] };

describe("routeFor", () => {
  it("sends a customer without a route to the default provider, with every mirror", () => {
    expect(routeFor(config, "cus_1")).toEqual({ primary: "stripe", mirrors: ["flowglad"] });
  });

  it("sends a routed customer to its own provider and does not mirror to that same provider", () => {
    expect(routeFor(config, "cus_legacy")).toEqual({ primary: "flowglad", mirrors: [] });
  });

  it("keeps the mirrors for a customer routed to manual", () => {
    expect(routeFor(config, "cus_self")).toEqual({ primary: "manual", mirrors: ["flowglad"] });
  });

  it("does not read inherited properties as routes", () => {
    expect(routeFor(config, "constructor")).toEqual({ primary: "stripe", mirrors: ["flowglad"] });
    expect(routeFor(config, "__proto__")).toEqual({ primary: "stripe", mirrors: ["flowglad"] });
  });

  it("routes to manual with no mirrors by default", () => {
    expect(routeFor({ default: "manual", routes: {}, mirror: [] }, "cus_1")).toEqual({ primary: "manual", mirrors: [] });
  });
});
