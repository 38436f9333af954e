import type { Benchmark } from "./types.ts";
export const forwarderDrain: Benchmark = { id: "forwarder-drain", title: "x", run: async () => [] };
