import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { billhub, CLI } from "../support/cli.ts";


/** The environment of a fresh shell: none of billhub's settings. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const kept = Object.entries(process.env).filter(([name]) => !name.startsWith("BILLHUB_") && !name.startsWith("STRIPE_") && !name.startsWith("FLOWGLAD_") && name !== "DATABASE_URL" && name !== "PORT");
  return { ...(Object.fromEntries(kept) as Record<string, string>), ...extra };
}

interface Serving {
  child: ChildProcess;
  url: string;
  key: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `billhub serve` as `npm start` does, in `cwd`, and waits until it prints its URL and key. */
async function startServe(cwd: string, env: Record<string, string>): Promise<Serving> {
  const child = spawn(process.execPath, [...CLI, "serve"], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`billhub serve exited with ${child.exitCode}: ${err}`);
      expect(out).toMatch(/Local API key .*: \S+\n/);
    },
    { timeout: 60_000, interval: 100 },
  );
  const url = /billhub listening on (http:\/\/\S+)/.exec(out)![1]!;
  const key = /Local API key .*: (\S+)/.exec(out)![1]!;
  return { child, url, key, stdout: () => out, exited };
}

describe("billhub serve with no configuration (npm start on a fresh clone)", () => {
  let cwd: string;
  let serving: Serving;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "billhub-serve-"));
    serving = await startServe(cwd, { PORT: "0" });
  }, 90_000);
  afterAll(async () => {
    if (serving.child.exitCode === null) {
      serving.child.kill("SIGKILL");
      await serving.exited;
    }
    await rm(cwd, { recursive: true, force: true });
  });

  it("prints its URL, the embedded store and a generated local API key", () => {
    expect(serving.stdout()).toContain("store: embedded PGlite (./.billhub), provider: manual");
    expect(serving.key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(existsSync(join(cwd, ".billhub"))).toBe(true);
  });

  it.skipIf(process.platform === "win32")("creates the embedded store's directory private to its owner, with no file in it writable by others", () => {
    const dir = join(cwd, ".billhub");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const writable = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((entry) => (statSync(join(dir, entry), { throwIfNoEntry: false })?.mode ?? 0) & 0o022);
    expect(writable).toEqual([]);
  });

  it("answers /healthz and /readyz", async () => {
    expect(await (await fetch(`${serving.url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${serving.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, pendingMigrations: [] });
  });

  it("serves the sample catalog's plans to the printed key, and refuses requests without it", async () => {
    const plans = await fetch(`${serving.url}/v1/plans`, { headers: { authorization: `Bearer ${serving.key}` } });
    expect(plans.status).toBe(200);
    expect(((await plans.json()) as { plans: Array<{ key: string }> }).plans.map((plan) => plan.key)).toEqual(["free", "pro", "enterprise"]);
    expect((await fetch(`${serving.url}/v1/plans`)).status).toBe(401);
  });

  it("shuts down cleanly on SIGTERM, exiting 0", async () => {
    serving.child.kill("SIGTERM");
    expect(await serving.exited).toBe(0);
    expect(serving.stdout()).toContain("SIGTERM received, shutting down");
  });

  it("keeps its data across a restart in the same directory", async () => {
    const again = await startServe(cwd, { PORT: "0" });
    try {
      const headers = { authorization: `Bearer ${again.key}`, "content-type": "application/json" };
      expect((await fetch(`${again.url}/v1/customers/restart_co`, { method: "PUT", headers, body: "{}" })).status).toBe(201);
      again.child.kill("SIGTERM");
      expect(await again.exited).toBe(0);
      const third = await startServe(cwd, { PORT: "0" });
      const customer = await fetch(`${third.url}/v1/customers/restart_co`, { headers: { authorization: `Bearer ${third.key}` } });
      expect(customer.status).toBe(200);
      third.child.kill("SIGTERM");
      expect(await third.exited).toBe(0);
    } finally {
      if (again.child.exitCode === null) again.child.kill("SIGKILL");
    }
  }, 120_000);
});

describe("billhub serve on a port that is taken", () => {
  it("exits 1 with one line naming the port and what to do, and no stack trace", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const result = await billhub(["serve"], { PORT: String(port), BILLHUB_DATA_DIR: "memory://" });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`LISTEN_FAILED: 127.0.0.1:${port} is already in use (another billhub or another program); stop it or choose another PORT\n`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 120_000);
});
