import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { BillingError } from "../../../src/core/errors.ts";
import { createHub } from "../../../src/hub.ts";
import { alertsCatalog, alertsCatalogInput, webhookSecret } from "../../support/alerts.ts";

function thrown(run: () => unknown): BillingError {
  try {
    run();
  } catch (error) {
    if (error instanceof BillingError) return error;
    throw error;
  }
  throw new Error("expected a BillingError");
}

const withAlert = (alert: unknown) => thrown(() => defineCatalog({ ...alertsCatalogInput, alerts: { bad: alert as never } }));

describe("alerts in the catalog", () => {
  it("refuses a threshold on an unknown feature, naming the field and the metered features", () => {
    const error = withAlert({ kind: "usage", feature: "apii", percent: 80 });
    expect(error).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.alerts.bad.feature", details: { valid: ["api", "api_daily", "exports"] } });
    expect(error.message).toContain('unknown feature "apii"');
  });

  it("refuses a usage threshold on a feature without usage", () => {
    expect(withAlert({ kind: "usage", feature: "sso", units: 1 })).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.alerts.bad.feature" });
  });

  it("refuses a percent outside 0–100", () => {
    for (const percent of [-1, 100.5, 250]) {
      const error = withAlert({ kind: "usage", feature: "api", percent });
      expect(error).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.alerts.bad.percent" });
      expect(error.message).toContain("between 0 and 100");
    }
  });

  it("asks for exactly one of percent or units", () => {
    expect(withAlert({ kind: "usage", feature: "api" }).field).toBe("catalog.alerts.bad.percent");
    expect(withAlert({ kind: "usage", feature: "api", percent: 50, units: 10 }).field).toBe("catalog.alerts.bad.units");
  });

  it("refuses an unknown kind and a spend that is not whole minor units", () => {
    expect(withAlert({ kind: "usage_percent", feature: "api" })).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.alerts.bad.kind" });
    expect(withAlert({ kind: "spend", amount: 10.5 })).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.alerts.bad.amount" });
  });
});

describe("alert endpoints in the config", () => {
  const endpoint = (fields: Record<string, unknown>) => thrown(() => parseConfig({ alerts: { endpoints: { ops: { url: "https://example.com/hooks", secret: webhookSecret(), ...fields } } } }));

  it("accepts an http(s) URL and a whsec_ secret", () => {
    const config = parseConfig({ alerts: { endpoints: { ops: { url: "https://example.com/hooks", secret: webhookSecret() } } } });
    expect(config.alerts.endpoints.ops!.url).toBe("https://example.com/hooks");
    expect(config.alerts.delivery).toMatchObject({ maxAttempts: 12, timeoutMs: 10_000 });
  });

  it("refuses a URL that is not http or https, naming the field", () => {
    for (const url of ["not a url", "ftp://example.com/x", "javascript:alert(1)"]) {
      const error = endpoint({ url });
      expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "alerts.endpoints.ops.url" });
      expect(error.message).toContain("http:// or https:// URL");
    }
  });

  it("refuses a secret that is not a Standard Webhooks secret, without echoing it", () => {
    for (const secret of ["sk_live_0123456789abcdef0123", "whsec_", "whsec_c2hvcnQ=", "whsec_not base64!!"]) {
      const error = endpoint({ secret });
      expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "alerts.endpoints.ops.secret" });
      expect(error.message).toContain('"whsec_"');
      // The bare prefix is in the explanation itself; anything longer is not repeated.
      if (secret !== "whsec_") expect(error.message).not.toContain(secret);
    }
  });

  it("evaluates recorded usage every 5 s by default, and refuses an interval that is not a whole number of ms from 10, naming the field", () => {
    expect(parseConfig({}).alerts.evaluation).toEqual({ intervalMs: 5_000 });
    expect(parseConfig({ alerts: { evaluation: { intervalMs: 250 } } }).alerts.evaluation.intervalMs).toBe(250);
    for (const intervalMs of [0, 9, 1.5, "5s"]) {
      expect(thrown(() => parseConfig({ alerts: { evaluation: { intervalMs } } }))).toMatchObject({ code: "CONFIG_INVALID", field: "alerts.evaluation.intervalMs" });
    }
  });

  it("refuses a lease no longer than the delivery timeout", () => {
    expect(thrown(() => parseConfig({ alerts: { delivery: { timeoutMs: 5000, leaseMs: 5000 } } })).field).toBe("alerts.delivery.leaseMs");
  });

  it("refuses an endpoint that lists an alert the catalog does not declare, at start-up", async () => {
    const error = await createHub({ catalog: alertsCatalog, store: { dataDir: "memory://" }, alerts: { endpoints: { ops: { url: "https://example.com/h", secret: webhookSecret(), alerts: ["api_08"] } } } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "alerts.endpoints.ops.alerts.0" });
    expect((error as BillingError).message).toContain("api_80");
  });
});
