import { describe, expect, it } from "vitest";
import { minimumCommitmentToTrueUp } from "../../../src/core/pricing/minimum-commitment.ts";

describe("minimumCommitmentToTrueUp", () => {
  it("docblock example: Lago plan commitment scenario, 50 USD + 3 × 10 USD against 100 USD → 20 USD true-up", () => {
    expect(minimumCommitmentToTrueUp({ commitment: 10000, subtotal: 5000 + 3 * 1000 })).toBe(2000);
  });

  it("Lago docs, contract billing: 800 USD of usage against a 1,000 USD minimum adds 200 USD; 1,300 USD adds nothing", () => {
    expect(minimumCommitmentToTrueUp({ commitment: 100000, subtotal: 80000 })).toBe(20000);
    expect(minimumCommitmentToTrueUp({ commitment: 100000, subtotal: 130000 })).toBe(0);
  });

  it("adds nothing when the subtotal meets the commitment exactly", () => {
    expect(minimumCommitmentToTrueUp({ commitment: 100000, subtotal: 100000 })).toBe(0);
  });
});
