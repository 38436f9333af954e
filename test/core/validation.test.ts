import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BillingError } from "../../src/core/errors.ts";
import { parseWith } from "../../src/core/validation.ts";

describe("parseWith", () => {
  it("names an unknown key itself rather than the object holding it", () => {
    const schema = z.strictObject({ nested: z.strictObject({ amount: z.number() }) });
    try {
      parseWith(schema, { nested: { amount: 1, amuont: 2 } }, "VALIDATION_FAILED", "input");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BillingError);
      expect((error as BillingError).field).toBe("input.nested.amuont");
    }
  });
});
