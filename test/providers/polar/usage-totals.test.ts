import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createPolarClient } from "../../../src/providers/polar/client.ts";
import { createPolarProvider } from "../../../src/providers/polar/provider.ts";
import { polarQuantityWindows } from "../../../src/providers/polar/quantity-windows.ts";
import type { UsageTotalQuery } from "../../../src/providers/types.ts";
import { skippingClock } from "../../support/forwarder.ts";
import { createPolarStandIn } from "../../support/msw/polar.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";
import { NOW, usageEvent } from "../../support/usage-events.ts";

const BASE = "https://polar.test";
const TOKEN = "polar_oat_test";
const polar = createPolarStandIn({
  baseUrl: BASE,
  token: TOKEN,
  meters: {
    "meter-api": { eventName: "api_call", property: "calls" },
    "meter-requests": { eventName: "request", func: "count" },
    "meter-peak": { eventName: "seats", property: "seats", func: "max" },
    "meter-models": { eventName: "model_used", property: "model", func: "unique" },
  },
});
useStandIns(polar);

const meters = {
  api_calls: { eventName: "api_call", quantityProperty: "calls", meterId: "meter-api" },
  requests: { eventName: "request", meterId: "meter-requests" },
  peak_seats: { eventName: "seats", quantityProperty: "seats", meterId: "meter-peak" },
  active_models: { eventName: "model_used", quantityProperty: "model", meterId: "meter-models" },
};

function provider(section: Partial<NonNullable<HubConfigInput["polar"]>> = {}) {
  const config = parseConfig({ provider: { default: "polar" }, polar: { secretKey: TOKEN, baseUrl: BASE, meters, ...section } }).polar!;
  return createPolarProvider({ client: createPolarClient(config), config, now: () => NOW, limiterClock: skippingClock() });
}

const at = (iso: string) => new Date(iso);
const march = { from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z") };

/** Sends usage to the stand-in as billhub does, one event per [quantity, timestamp]. */
async function send(events: [quantity: string, timestamp: string, customer?: string, meter?: string][]) {
  const outcomes = await provider().pushUsage(events.map(([quantity, timestamp, customer = "org_42", meter = "api_calls"]) => usageEvent({ quantity, timestamp: at(timestamp), providerCustomerId: customer, meter })));
  expect(outcomes.every((outcome) => outcome.status === "delivered")).toBe(true);
}

const read = (query: Partial<UsageTotalQuery> = {}, section: Partial<NonNullable<HubConfigInput["polar"]>> = {}) =>
  provider(section).readUsageTotal({ meter: "api_calls", providerCustomerId: "org_42", ...march, aggregation: "sum", ...query });

const queried = () => polar.calls("quantities").map((call) => Object.fromEntries(new URL(call.url).searchParams));

describe("Polar usage totals (reconcile)", () => {
  it("reads a month as one request of whole UTC days, the customer by external id, up to the last instant before the window's end", async () => {
    await send([["3", "2026-03-02T08:00:00Z"], ["4.5", "2026-03-31T23:59:59.999Z"], ["9", "2026-03-05T00:00:00Z", "someone_else"]]);
    expect(await read()).toEqual({ value: "7.5", aggregation: "sum" });
    expect(new URL(polar.calls("quantities")[0]!.url).pathname).toBe("/v1/meters/meter-api/quantities");
    expect(queried()).toEqual([
      { start_timestamp: "2026-03-01T00:00:00.000Z", end_timestamp: "2026-03-31T23:59:59.999Z", interval: "day", timezone: "UTC", external_customer_id: "org_42" },
    ]);
  });

  it("counts nothing of the day the window's end starts, which Polar would count whole if asked for end_timestamp = the end", async () => {
    await send([["1", "2026-02-28T23:59:59.999Z"], ["2", "2026-03-01T00:00:00Z"], ["4", "2026-03-31T23:59:59.999Z"], ["8", "2026-04-01T00:00:00Z"], ["16", "2026-04-01T23:00:00Z"]]);
    expect(await read()).toEqual({ value: "6", aggregation: "sum" });
    // What the end as end_timestamp would have answered: the whole of April 1 on top.
    const naive = await createPolarClient({ secretKey: TOKEN, environment: "production", baseUrl: BASE, timeoutMs: 5_000 }).meterTotal("meter-api", { interval: "day", start: march.from, lastInstant: march.to, externalCustomerId: "org_42" });
    expect(naive).toBe(30);
  });

  it("asks for the hours before the first and after the last midnight by the hour, and the days between by the day", async () => {
    await send([["1", "2026-03-01T09:59:59Z"], ["2", "2026-03-01T10:00:00Z"], ["4", "2026-03-02T12:00:00Z"], ["8", "2026-03-03T04:59:59Z"], ["16", "2026-03-03T05:00:00Z"]]);
    expect(await read({ from: at("2026-03-01T10:00:00Z"), to: at("2026-03-03T05:00:00Z") })).toEqual({ value: "14", aggregation: "sum" });
    expect(queried().map(({ interval, start_timestamp, end_timestamp }) => [interval, start_timestamp, end_timestamp])).toEqual([
      ["hour", "2026-03-01T10:00:00.000Z", "2026-03-01T23:59:59.999Z"],
      ["day", "2026-03-02T00:00:00.000Z", "2026-03-02T23:59:59.999Z"],
      ["hour", "2026-03-03T00:00:00.000Z", "2026-03-03T04:59:59.999Z"],
    ]);
  });

  it("splits a window longer than Polar's 366 days per daily request into several (2024 has 366), and adds their totals", async () => {
    await send([["5", "2024-01-01T00:00:00Z"], ["7", "2025-12-31T23:00:00Z"]]);
    expect(await read({ from: at("2024-01-01T00:00:00Z"), to: at("2026-01-01T00:00:00Z") })).toEqual({ value: "12", aggregation: "sum" });
    expect(queried().map(({ start_timestamp, end_timestamp }) => [start_timestamp, end_timestamp])).toEqual([
      ["2024-01-01T00:00:00.000Z", "2024-12-31T23:59:59.999Z"],
      ["2025-01-01T00:00:00.000Z", "2025-12-31T23:59:59.999Z"],
    ]);
  });

  it("answers a window that does not start and end on a whole hour, or starts before 2023, as not comparable with the reason, asking Polar nothing", async () => {
    expect(await read({ from: at("2026-03-01T10:30:00Z"), to: at("2026-03-02T00:00:00Z") })).toEqual({
      value: null,
      notComparable: expect.stringMatching(/whole UTC hours at the finest.*start \(2026-03-01T10:30:00.000Z\) is not on a whole hour/),
    });
    expect(await read({ to: at("2026-03-31T23:59:59.999Z") })).toEqual({ value: null, notComparable: expect.stringContaining("end (2026-03-31T23:59:59.999Z) is not on a whole hour") });
    expect(await read({ from: at("2022-12-01T00:00:00Z") })).toEqual({ value: null, notComparable: expect.stringContaining("from 2023-01-01 on") });
    expect(polar.calls()).toEqual([]);
  });

  it("keeps decimal totals exact: sums of decimals read to a double's 15 digits, whole totals exact up to 2^53 and not comparable beyond", async () => {
    // Polar's double sum of 0.1 and 0.2 is 0.30000000000000004.
    await send([["0.1", "2026-03-02T00:00:00Z", "tenths"], ["0.2", "2026-03-03T00:00:00Z", "tenths"], ["1.25", "2026-03-04T00:00:00Z"], ["2.5", "2026-03-04T00:00:00Z"], ["1000000.125", "2026-03-05T00:00:00Z"]]);
    expect(await read({ providerCustomerId: "tenths" })).toEqual({ value: "0.3", aggregation: "sum" });
    expect(await read()).toEqual({ value: "1000003.875", aggregation: "sum" });
    await send([["9007199254740990", "2026-03-05T00:00:00Z", "big"]]);
    expect(await read({ providerCustomerId: "big" })).toEqual({ value: "9007199254740990", aggregation: "sum" });
    await send([["4", "2026-03-06T00:00:00Z", "big"]]);
    expect(await read({ providerCustomerId: "big" })).toEqual({ value: null, notComparable: expect.stringContaining("beyond 2^53") });
  });

  it("totals count and max meters as the catalog does, and reads each meter's aggregation once", async () => {
    const reconciler = provider();
    await send([["5", "2026-03-02T00:00:00Z", "org_42", "requests"], ["7", "2026-03-03T00:00:00Z", "org_42", "requests"], ["3", "2026-03-02T00:00:00Z", "org_42", "peak_seats"], ["9", "2026-03-03T10:00:00Z", "org_42", "peak_seats"], ["4", "2026-03-03T11:00:00Z", "org_42", "peak_seats"]]);
    const query = { providerCustomerId: "org_42", from: at("2026-03-01T00:00:00Z"), to: at("2026-03-03T11:00:00Z") };
    expect(await reconciler.readUsageTotal({ ...query, meter: "requests", aggregation: "count" })).toEqual({ value: "2", aggregation: "count" });
    // Across the daily and the hourly request: the larger maximum.
    expect(await reconciler.readUsageTotal({ ...query, meter: "peak_seats", aggregation: "max" })).toEqual({ value: "9", aggregation: "max" });
    expect(await reconciler.readUsageTotal({ ...query, meter: "peak_seats", aggregation: "max" })).toEqual({ value: "9", aggregation: "max" });
    expect(polar.calls("meter").map((call) => new URL(call.url).pathname)).toEqual(["/v1/meters/meter-requests", "/v1/meters/meter-peak"]);
  });

  it("answers a catalog meter Polar aggregates otherwise (a sum against a count meter), and a unique meter, as not comparable", async () => {
    await send([["5", "2026-03-02T00:00:00Z", "org_42", "requests"]]);
    expect(await read({ meter: "requests", aggregation: "sum" })).toEqual({ value: null, notComparable: 'the catalog meter aggregates by sum, Polar meter "meter-requests" by count; their totals measure different things' });
    expect(await read({ meter: "active_models", aggregation: "unique_count" })).toEqual({ value: null, notComparable: expect.stringContaining('Polar meter "meter-models" aggregates by unique, which Polar totals bucket by bucket') });
    expect(polar.calls("quantities")).toEqual([]);
  });

  it("answers a meter without a Polar meter id as not comparable naming the setting, and a meter id Polar does not know as UNKNOWN_METER", async () => {
    expect(await read({}, { meters: { api_calls: { eventName: "api_call" } } })).toEqual({
      value: null,
      notComparable: 'meter "api_calls" names no Polar meter; set polar.meters.api_calls.meterId to the id of the Polar meter that counts its events',
    });
    await expect(read({}, { meters: { api_calls: { eventName: "api_call", meterId: "meter-gone" } } })).rejects.toMatchObject({
      code: "UNKNOWN_METER",
      field: "polar.meters.api_calls.meterId",
      message: expect.stringContaining('Polar has no meter "meter-gone"'),
    });
  });

  it("answers 0 for a Polar customer without usage, and PROVIDER_NOT_FOUND for an external id Polar has no customer or usage under", async () => {
    polar.addCustomer({ external_id: "org_quiet", email: "quiet@example.com" });
    expect(await read({ providerCustomerId: "org_quiet" })).toEqual({ value: "0", aggregation: "sum" });
    await expect(read({ providerCustomerId: "nobody" })).rejects.toMatchObject({ code: "PROVIDER_NOT_FOUND", message: 'Polar has no customer with external id "nobody" and no usage under it in the window' });
    expect(polar.calls("customer_external").map((call) => new URL(call.url).pathname)).toEqual(["/v1/customers/external/org_quiet", "/v1/customers/external/nobody"]);
  });

  it("maps Polar's refusals: 401 to PROVIDER_AUTH_FAILED, 429 to a retryable wait of its Retry-After, 5xx to retryable PROVIDER_UNAVAILABLE", async () => {
    await expect(read({}, { secretKey: "polar_oat_wrong" })).rejects.toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false, message: expect.stringContaining("POLAR_ACCESS_TOKEN") });
    polar.inject("quantities", { kind: "rate_limit", retryAfter: "2" });
    await expect(read()).rejects.toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 2 });
    polar.inject("quantities", { kind: "server_error", status: 503 });
    await expect(read()).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    polar.inject("meter", { kind: "server_error" });
    await expect(read({ meter: "requests", aggregation: "count" })).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    await send([["2", "2026-03-02T00:00:00Z"]]);
    expect(await read()).toEqual({ value: "2", aggregation: "sum" });
  });
});

describe("polarQuantityWindows", () => {
  it("tiles any window of whole hours exactly: consecutive, no gaps, within Polar's limits per interval", () => {
    const HOUR = 3_600_000;
    for (const [from, hours] of [["2026-03-01T00:00:00Z", 24 * 31], ["2026-03-01T13:00:00Z", 5], ["2026-03-01T13:00:00Z", 11], ["2026-03-01T13:00:00Z", 59], ["2024-02-28T01:00:00Z", 24 * 800 + 7]] as const) {
      const start = Date.parse(from);
      const windows = polarQuantityWindows(new Date(start), new Date(start + hours * HOUR));
      if (typeof windows === "string") throw new Error(windows);
      expect(windows[0]!.start.getTime()).toBe(start);
      expect(windows.at(-1)!.end.getTime()).toBe(start + hours * HOUR);
      windows.forEach((window, i) => {
        if (i > 0) expect(window.start).toEqual(windows[i - 1]!.end);
        const span = window.end.getTime() - window.start.getTime();
        if (window.interval === "day") expect(window.start.getTime() % (24 * HOUR) === 0 && window.end.getTime() % (24 * HOUR) === 0 && span <= 366 * 24 * HOUR).toBe(true);
        else expect(span <= 7 * 24 * HOUR).toBe(true);
      });
    }
  });
});
