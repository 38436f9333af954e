import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** `billhub` from source (src/cli/run.ts through tsx's loader), as the benchmarks themselves run. */
const CLI = ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href, fileURLToPath(new URL("../src/cli/run.ts", import.meta.url))];

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then waits for the graceful shutdown; rejects if the process fails. */
  stop(): Promise<void>;
}

/**
 * Starts `billhub serve` as its own process (so the client and the server do not share one event
 * loop) with `env` over a clean environment, and waits for it to listen. BENCH_CPU_PROF_DIR
 * makes the server write a V8 CPU profile there when it exits.
 */
export async function startServeProcess(env: Record<string, string>): Promise<ServeProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BILLHUB_") && !k.startsWith("STRIPE_") && !k.startsWith("FLOWGLAD_") && k !== "DATABASE_URL" && k !== "PORT"));
  const profile = process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, ...CLI, "serve"], { env: { ...inherited, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /billhub listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`billhub serve exited (${code}) before listening:\n${output}`)));
  });
  return {
    url,
    child,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`billhub serve exited with ${code}:\n${output}`);
    },
  };
}
