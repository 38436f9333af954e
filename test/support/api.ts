import { fileURLToPath } from "node:url";
import type { HubConfigInput } from "../../src/config/schema.ts";
import { createHub, type Hub, type HubOptions } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import type { Store } from "../../src/store/types.ts";

/** The API keys route tests configure: one that may write, one that may only read. */
export const WRITE_KEY = "write-key-0123456789abcdef";
export const READ_KEY = "read-key-0123456789abcdef";

/** The sample catalog `billhub serve` runs with when none is configured. */
export const SAMPLE_CATALOG = fileURLToPath(new URL("../../fixtures/catalog.json", import.meta.url));

export interface Answer {
  status: number;
  // Tests read into answers freely; the routes' own types are checked where they are built.
  body: any;
  headers: Headers;
}

export type Call = (method: string, path: string, body?: unknown, options?: { key?: string | null }) => Promise<Answer>;

/**
 * A hub on the sample catalog (or `config.catalog`) with both keys, and a `call` that sends
 * requests through the service's own handler: JSON bodies (a string is sent as is), the write key
 * unless `key` says otherwise (`null` for none).
 */
export async function apiHub(store: Store, options: { config?: HubConfigInput; hub?: HubOptions } = {}): Promise<{ hub: Hub; call: Call }> {
  const hub = await createHub(
    {
      catalog: SAMPLE_CATALOG,
      server: { apiKeys: [{ key: WRITE_KEY, access: "write" }, { key: READ_KEY, access: "read" }] },
      ...options.config,
    },
    { store, ...options.hub },
  );
  const app = createApp(hub);
  const call: Call = async (method, path, body, callOptions = {}) => {
    const key = callOptions.key === undefined ? WRITE_KEY : callOptions.key;
    const response = await app.fetch(
      new Request(`http://billhub.test${path}`, {
        method,
        headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }),
    );
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text), headers: response.headers };
  };
  return { hub, call };
}
