import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // PGlite is WASM with a large heap: worker processes, not threads.
    pool: "forks",
    // A worker runs file after file with the module graph it has loaded (importing zod, stripe,
    // msw and the hub cost 1–2.5 s per file); each file still opens and closes its own store and
    // servers, and no file mocks modules or globals it does not restore.
    isolate: false,
    // Vitest's default is one worker fewer than the cores: a single worker on a 2-core machine.
    // Most files spend much of their time waiting (on PGlite's start, on processes they spawn,
    // on PostgreSQL), so one worker per core keeps both cores busy.
    maxWorkers: Math.max(2, availableParallelism()),
    // Generous on purpose: a test may wait on a condition, never on the clock of a fast machine;
    // process-spawning suites set their own, longer, timeouts.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
