import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { webhookHub } from "../support/webhook-hub.ts";
import { answer } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const SECRET = "metronome_webhook_secret";
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await webhookHub(store, () => NOW, { config: { metronome: { secretKey: "mt_test_webhooks", baseUrl: "https://metronome.test", webhookSecret: SECRET } } });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

function metronomeRequest(notification: unknown, options: { secret?: string } = {}): Request {
  const body = JSON.stringify(notification);
  const date = NOW.toUTCString();
  const signature = createHmac("sha256", options.secret ?? SECRET).update(`${date}\n${body}`).digest("hex");
  return new Request("http://billhub.test/webhooks/metronome", { method: "POST", body, headers: { "content-type": "application/json", "x-metronome-date": date, "metronome-webhook-signature": signature } });
}

describe("Metronome webhooks through the hub", () => {
  it("answers a verified notification 200, logs it once, and answers its redelivery as a duplicate", async () => {
    const notification = { id: "6f1a2f1c-0f8e-4e61-9a2b-9b1a5f0c1d2e", type: "invoice.finalized", properties: { invoice_id: "inv_1", customer_id: "cu_1" } };
    const first = await answer(await hub.webhooks.metronome(metronomeRequest(notification)));
    expect(first).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    const again = await answer(await hub.webhooks.metronome(metronomeRequest(notification)));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: "duplicate" });
    const logged = (await hub.webhooks.events({ limit: 100 })).filter((event) => event.eventId === notification.id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ provider: "metronome", eventType: "invoice.finalized" });
  });

  it("refuses a notification signed with another secret with 400 and logs nothing", async () => {
    const notification = { id: "forged-1", type: "contract.create", properties: {} };
    const response = await answer(await hub.webhooks.metronome(metronomeRequest(notification, { secret: "not-the-secret" })));
    expect(response).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID" } } });
    expect((await hub.webhooks.events({ limit: 100 })).some((event) => event.eventId === "forged-1")).toBe(false);
  });
});
