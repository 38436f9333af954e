import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // PGlite is WASM with a large heap: separate processes keep files from sharing one.
    pool: "forks",
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
