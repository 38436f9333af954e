/**
 * Polls `condition` until it holds, or fails after `timeoutMs` naming what it waited for. Tests
 * wait on what they need to see, never for a fixed time tuned to a fast machine: on an idle
 * machine the wait ends as soon as the condition holds, on a loaded one the deadline leaves room.
 */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const { timeoutMs = 60_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
