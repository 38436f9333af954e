import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../src/core/redact.ts";

describe("redactSecrets", () => {
  it.each([
    ["Invalid API Key provided: sk_live_51Habc123XYZ", "Invalid API Key provided: sk_live_[redacted]"],
    ["restricted rk_test_abcDEF0123 refused", "restricted rk_test_[redacted] refused"],
    ["proxy echoed Authorization: Bearer sk_test_123abc", "proxy echoed Authorization: Bearer [redacted]"],
    ["GET with Bearer abc.def-ghi", "GET with Bearer [redacted]"],
    ["signing secret whsec_Zm9vYmFy+/= leaked", "signing secret whsec_[redacted] leaked"],
    ['{"api_key":"k-123","other":1}', '{"api_key":"[redacted]","other":1}'],
    ["connect postgres://billhub:hunter2@db:5432/x failed", "connect postgres://billhub:[redacted]@db:5432/x failed"],
  ])("removes the secret from %j", (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("leaves text without secrets as it is", () => {
    const text = "No such customer: 'cus_123'; meter event_name api_call (request req_abc)";
    expect(redactSecrets(text)).toBe(text);
  });
});
