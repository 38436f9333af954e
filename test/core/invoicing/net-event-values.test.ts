import { describe, expect, it } from "vitest";
import { parseDecimal } from "../../../src/core/decimal.ts";
import { netEventValues } from "../../../src/core/invoicing/net-event-values.ts";

const net = (values: Array<string | number>) => netEventValues(values.map((value) => parseDecimal(value)));

describe("per-event values net of refunds", () => {
  it("keeps the events as they are when nothing is taken back", () => {
    expect(net([200, "100.5", 0, 50])).toEqual({ quantity: "350.5", events: ["200", "100.5", "0", "50"] });
  });

  it("takes refunds, bonuses and negative corrections off the latest events first, dropping those taken back entirely", () => {
    expect(net([200, 100, -150, 50])).toEqual({ quantity: "200", events: ["200"] });
    expect(net([200, 100, -50])).toEqual({ quantity: "250", events: ["200", "50"] });
    expect(net([-30, 200, 100])).toEqual({ quantity: "270", events: ["200", "70"] });
  });

  it("adds up to the meter's net total, and to nothing when more was taken back than used", () => {
    expect(net([100, -40, "-60.25", 10])).toEqual({ quantity: "9.75", events: ["9.75"] });
    expect(net([100, -250])).toEqual({ quantity: "0", events: [] });
    expect(net([])).toEqual({ quantity: "0", events: [] });
  });
});
