import { describe, expect, it } from "vitest";
import { retryAfterSeconds } from "../../src/providers/errors.ts";

describe("retryAfterSeconds", () => {
  const now = new Date("2026-10-21T07:27:30.000Z");

  it("reads delta-seconds, rounding a fraction up", () => {
    expect(retryAfterSeconds("3", now)).toBe(3);
    expect(retryAfterSeconds(" 1.2 ", now)).toBe(2);
  });

  it("reads an HTTP date relative to now", () => {
    expect(retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT", now)).toBe(30);
  });

  it("ignores missing, zero, past and unreadable values", () => {
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
    expect(retryAfterSeconds("0", now)).toBeUndefined();
    expect(retryAfterSeconds("Wed, 21 Oct 2026 07:00:00 GMT", now)).toBeUndefined();
    expect(retryAfterSeconds("soon", now)).toBeUndefined();
  });
});
