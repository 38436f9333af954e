import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHub, type Hub } from "../../src/hub.ts";
import { allRoutes, createApp } from "../../src/server/app.ts";
import { route } from "../../src/server/route.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const WRITE_KEY = "w".repeat(32);
const READ_KEY = "r".repeat(32);

let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;
const received: unknown[] = [];

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ server: { apiKeys: [{ key: WRITE_KEY, access: "write" }, { key: READ_KEY, access: "read" }], bodyLimitBytes: 256 } }, { store });
  const echo = route({
    method: "post",
    path: "/v1/echo/:id",
    access: "write",
    tag: "test",
    summary: "Echoes a validated body",
    body: z.strictObject({ quantity: z.string().regex(/^\d+$/), note: z.string().optional() }),
    status: 201,
    handler: async ({ body, params }) => {
      received.push(body);
      return { id: params.id, ...body };
    },
  });
  const read = route({
    method: "get",
    path: "/v1/things",
    access: "read",
    tag: "test",
    summary: "Lists things",
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
    handler: async ({ query }) => ({ limit: query.limit }),
  });
  app = createApp(hub, { routes: [...allRoutes(hub), echo, read] });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const call = (path: string, init: RequestInit & { key?: string } = {}) =>
  app.fetch(
    new Request(`http://billhub.test${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.headers as Record<string, string>) },
    }),
  );

describe("API keys", () => {
  it("answers 401 without an Authorization header, saying how to send one", async () => {
    const response = await call("/v1/things");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "UNAUTHORIZED", message: "Missing API key: send the header `Authorization: Bearer <key>`" } });
  });

  it("answers 401 for a key that is not configured", async () => {
    expect((await call("/v1/things", { key: "x".repeat(32) })).status).toBe(401);
  });

  it("lets a read-only key read but answers 403 when it writes, and stores nothing", async () => {
    expect((await call("/v1/things", { key: READ_KEY })).status).toBe(200);
    const before = received.length;
    const response = await call("/v1/echo/1", { method: "POST", key: READ_KEY, body: JSON.stringify({ quantity: "1" }) });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect(received.length).toBe(before);
  });

  it("lets a write key write", async () => {
    const response = await call("/v1/echo/abc", { method: "POST", key: WRITE_KEY, body: JSON.stringify({ quantity: "5" }) });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: "abc", quantity: "5" });
  });

  it("needs no key for health routes", async () => {
    expect((await call("/healthz")).status).toBe(200);
  });
});

describe("request validation", () => {
  it("answers 400 naming the field for a body that breaks the schema", async () => {
    const response = await call("/v1/echo/1", { method: "POST", key: WRITE_KEY, body: JSON.stringify({ quantity: "1.5x" }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "VALIDATION_FAILED", field: "quantity" } });
  });

  it("answers 400 for a body that is not JSON, and for an empty body", async () => {
    const broken = await call("/v1/echo/1", { method: "POST", key: WRITE_KEY, body: "{quantity" });
    expect(await broken.json()).toMatchObject({ error: { code: "VALIDATION_FAILED", field: "body", message: expect.stringContaining("not valid JSON") } });
    expect((await call("/v1/echo/1", { method: "POST", key: WRITE_KEY, body: "" })).status).toBe(400);
  });

  it("answers 400 naming the body when the body ends before all of it arrived, and writes nothing", async () => {
    const cutBody = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"quantity":'));
          controller.error(new Error("aborted"));
        },
      });
    const before = received.length;
    // With a Content-Length (the route reads the body) and without one (the body limit reads it first).
    for (const length of [{ "content-length": "40" }, {}]) {
      const response = await call("/v1/echo/1", { method: "POST", key: WRITE_KEY, body: cutBody(), headers: length, duplex: "half" } as RequestInit & { key: string });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: "VALIDATION_FAILED", field: "body", message: expect.stringContaining("body could not be read") } });
    }
    expect(received.length).toBe(before);
  });

  it("answers 400 naming the query parameter", async () => {
    const response = await call("/v1/things?limit=500", { key: READ_KEY });
    expect(await response.json()).toMatchObject({ error: { code: "VALIDATION_FAILED", field: "query.limit" } });
  });

  it("answers 413 for a body over the configured limit", async () => {
    const response = await call("/v1/echo/1", { method: "POST", key: WRITE_KEY, body: JSON.stringify({ quantity: "1", note: "x".repeat(1000) }) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("documents", () => {
  it("serves an OpenAPI document generated from the route schemas", async () => {
    const document = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: object; required: string[] } }> } }>> };
    const echo = document.paths["/v1/echo/{id}"]!.post!;
    expect(echo.requestBody!.content["application/json"]!.schema.properties).toHaveProperty("quantity");
    expect(echo.requestBody!.content["application/json"]!.schema.required).toEqual(["quantity"]);
    expect(document.paths["/healthz"]).toBeDefined();
  });

  it("serves request latency by route pattern at /metrics, never the raw path", async () => {
    await call("/v1/echo/customer-secret-id", { method: "POST", key: WRITE_KEY, body: JSON.stringify({ quantity: "1" }) });
    const text = await (await call("/metrics")).text();
    expect(text).toContain('billhub_http_request_duration_seconds_count{method="POST",route="/v1/echo/:id",status="201"}');
    expect(text).not.toContain("customer-secret-id");
  });
});
