import { describe, expect, it } from "vitest";
import { historyFromChanges } from "../../src/store/webhooks/price-history.ts";

const t = (s: number) => new Date(Date.UTC(2026, 1, 1) + s * 1000);

describe("historyFromChanges", () => {
  it("derives spans in time order whatever order the changes come in, merging a repeated state and ending a span at a deletion (the docblock's example)", () => {
    const changes = [
      { at: t(20), stateHash: "a", source: "evt_3" },
      { at: t(0), stateHash: "a", source: "evt_1" },
      { at: t(10), stateHash: null, source: "evt_2" },
    ];
    const expected = [
      { from: t(0), to: t(10), stateHash: "a", source: "evt_1" },
      { from: t(20), to: null, stateHash: "a", source: "evt_3" },
    ];
    expect(historyFromChanges(changes)).toEqual(expected);
    expect(historyFromChanges([...changes].reverse())).toEqual(expected);
  });

  it("continues a span through a change to the state it already holds, keeping the source that began it", () => {
    expect(historyFromChanges([{ at: t(0), stateHash: "a", source: "evt_1" }, { at: t(5), stateHash: "a", source: "evt_2" }, { at: t(9), stateHash: "b", source: "evt_3" }])).toEqual([
      { from: t(0), to: t(9), stateHash: "a", source: "evt_1" },
      { from: t(9), to: null, stateHash: "b", source: "evt_3" },
    ]);
  });

  it("gives nothing for deletions alone", () => {
    expect(historyFromChanges([{ at: t(0), stateHash: null, source: "evt_1" }])).toEqual([]);
  });
});
