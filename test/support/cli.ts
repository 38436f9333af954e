import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { main } from "../../src/cli/main.ts";

const run = promisify(execFile);

/**
 * Node's arguments that run the `billhub` command from source (src/cli/run.ts through tsx's
 * loader), so the tests prove the code in the tree rather than the last build; bin/billhub.mjs
 * runs the same entry from dist/ (test/package proves that one).
 */
export const CLI: readonly string[] = ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href, join(import.meta.dirname, "../../src/cli/run.ts")];

/** The environment without billhub's, the providers' and the database's settings, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BILLHUB_") && !k.startsWith("STRIPE_") && !k.startsWith("FLOWGLAD_") && k !== "DATABASE_URL"));
  return { ...clean, ...env };
}

/** Runs the real CLI as a process; never throws, returns exit code and output. */
export async function billhub(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], { env: cleanEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * Runs `billhub <args>` in this process: the same `main` the binary runs, with the same output,
 * without starting Node and loading every module again (about 2 s each). For help texts and
 * argument checks; what only a process shows (exit codes, signals, several openers) keeps `billhub`.
 */
export async function billhubInProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (line) => void (stdout += `${line}\n`), err: (line) => void (stderr += `${line}\n`) }, cleanEnv(env));
  return { code, stdout, stderr };
}

/** Starts the CLI as a long-running process (e.g. `outbox drain --follow`), output collected. */
export function billhubProcess(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...CLI, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
