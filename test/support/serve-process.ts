import { billhubProcess } from "./cli.ts";

export interface ServeProcess {
  url: string;
  pid: number;
  /** SIGKILL: the process gets no chance to finish anything (a crash, an OOM kill, a pulled plug). */
  kill(): Promise<void>;
  /** SIGTERM: a graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

/** Starts `billhub serve` as its own process and waits until it listens (PORT=0 picks a free port). */
export async function startServeProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  const serving = billhubProcess(["serve"], { PORT: "0", ...env });
  const started = Date.now();
  let url: string | undefined;
  while (url === undefined) {
    if (serving.child.exitCode !== null) throw new Error(`billhub serve exited with ${serving.child.exitCode}: ${serving.output()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`billhub serve did not start within ${timeoutMs} ms: ${serving.output()}`);
    url = /billhub listening on (http:\/\/\S+)/.exec(serving.output())?.[1];
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const end = async (signal: NodeJS.Signals) => {
    if (serving.child.exitCode === null && serving.child.signalCode === null) serving.child.kill(signal);
    return serving.exited;
  };
  return {
    url,
    pid: serving.child.pid!,
    kill: async () => void (await end("SIGKILL")),
    stop: () => end("SIGTERM"),
    output: serving.output,
  };
}
