import { execFile, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { main } from "../../src/cli/main.ts";

const run = promisify(execFile);
export const BIN = join(import.meta.dirname, "../../bin/billhub.mjs");

/** The environment without billhub's, the providers' and the database's settings, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BILLHUB_") && !k.startsWith("STRIPE_") && !k.startsWith("FLOWGLAD_") && k !== "DATABASE_URL"));
  return { ...clean, ...env };
}

/** Runs the real CLI as a process; never throws, returns exit code and output. */
export async function billhub(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: cleanEnv(env) });
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
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
