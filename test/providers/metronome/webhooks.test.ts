import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import Metronome from "@metronome/sdk";
import { parseMetronomeWebhook } from "../../../src/providers/metronome/webhooks.ts";
import { NOW } from "../../support/usage-events.ts";

const SECRET = "metronome_webhook_secret";

/** A notification as Metronome sends it: `{ id, type, properties }`, signed over the date header, a newline and the body. */
function delivery(options: { body?: string; date?: string; secret?: string; dateHeader?: string } = {}) {
  const body = options.body ?? JSON.stringify({ id: "c941cccc-a890-45e4-96de-3fdb8a6809f3", type: "contract.edit", properties: { contract_id: "ct_1", customer_id: "cu_1" } });
  const date = options.date ?? NOW.toUTCString();
  const signature = createHmac("sha256", options.secret ?? SECRET).update(`${date}\n${body}`).digest("hex");
  return { rawBody: body, headers: new Headers({ [options.dateHeader ?? "X-Metronome-Date"]: date, "Metronome-Webhook-Signature": signature, "content-type": "application/json" }) };
}

const parse = (d: ReturnType<typeof delivery>) => parseMetronomeWebhook(d, { secret: SECRET, now: () => NOW });

describe("Metronome webhooks", () => {
  it("verifies a notification and logs it as ignored, deduplicated on its id and dated by its date header", () => {
    expect(parse(delivery())).toEqual({
      provider: "metronome",
      eventId: "c941cccc-a890-45e4-96de-3fdb8a6809f3",
      eventType: "contract.edit",
      created: new Date(NOW.toUTCString()),
      livemode: null,
      kind: "ignored",
      reason: expect.stringContaining("contract.edit"),
    });
  });

  it("signs the way the official SDK verifies (its verifySignature accepts what billhub accepts)", () => {
    const d = delivery({ date: new Date().toUTCString() });
    const client = new Metronome({ bearerToken: "unused", webhookSecret: SECRET });
    expect(() => client.webhooks.verifySignature(d.rawBody, d.headers, SECRET)).not.toThrow();
    expect(parseMetronomeWebhook(d, { secret: SECRET, now: () => new Date() }).kind).toBe("ignored");
  });

  it("reads the plain Date header when X-Metronome-Date is absent", () => {
    expect(parse(delivery({ dateHeader: "Date" })).eventType).toBe("contract.edit");
  });

  it("refuses a wrong signature, another secret, a tampered body and a missing header with WEBHOOK_SIGNATURE_INVALID", () => {
    const signed = delivery();
    expect(() => parse({ ...signed, rawBody: signed.rawBody.replace("ct_1", "ct_2") })).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.metronome-webhook-signature" }));
    expect(() => parse(delivery({ secret: "another" }))).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID" }));
    const headers = new Headers(signed.headers);
    headers.delete("Metronome-Webhook-Signature");
    expect(() => parse({ ...signed, headers })).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.metronome-webhook-signature" }));
    const undated = new Headers(signed.headers);
    undated.delete("X-Metronome-Date");
    expect(() => parse({ ...signed, headers: undated })).toThrow(expect.objectContaining({ field: "headers.x-metronome-date" }));
  });

  it("refuses a date more than 5 minutes old or ahead, as the SDK does", () => {
    expect(() => parse(delivery({ date: new Date(NOW.getTime() - 301_000).toUTCString() }))).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("old") }));
    expect(() => parse(delivery({ date: new Date(NOW.getTime() + 301_000).toUTCString() }))).toThrow(expect.objectContaining({ message: expect.stringContaining("ahead") }));
    expect(parse(delivery({ date: new Date(NOW.getTime() - 299_000).toUTCString() })).kind).toBe("ignored");
  });

  it("refuses a signed body that is not a notification with WEBHOOK_PAYLOAD_INVALID, and says when no secret is configured", () => {
    expect(() => parse(delivery({ body: "not json" }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "rawBody" }));
    expect(() => parse(delivery({ body: JSON.stringify({ type: "alerts.low_remaining_credit_balance_reached" }) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id" }));
    expect(() => parse(delivery({ body: JSON.stringify({ id: "x".repeat(300), type: "t" }) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id" }));
    expect(() => parseMetronomeWebhook(delivery(), { secret: undefined, now: () => NOW })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "metronome.webhookSecret" }));
  });
});
