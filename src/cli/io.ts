/** Where a command writes: results to `out`, diagnostics and progress to `err`. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when `err` is a terminal: progress draws a bar; otherwise it prints plain lines. */
  interactive?: boolean;
  /** Raw write to the terminal (no newline), used only for the bar. */
  write?: (text: string) => void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: process.stderr.isTTY === true,
  write: (text) => process.stderr.write(text),
};

export interface Progress {
  /** Marks `n` more items done. */
  tick(n?: number): void;
  /** Ends the bar (or prints the final plain line). */
  done(summary?: string): void;
}

const BAR_WIDTH = 30;

/**
 * Progress for long runs: a redrawn bar on a terminal; off a terminal (CI, pipes, logs) a plain
 * line at every 10% and at the end, so a log shows the run moving without a line per item.
 *
 * @example
 * const progress = createProgress(io, { label: "Invoicing", total: customers.length });
 * for (const c of customers) { await invoice(c); progress.tick(); }
 * progress.done("42 invoices");
 */
export function createProgress(io: Io, options: { label: string; total: number }): Progress {
  const { label, total } = options;
  let done = 0;
  let lastDecile = -1;
  const draw = () => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    if (io.interactive && io.write) {
      const filled = Math.round(ratio * BAR_WIDTH);
      io.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
      return;
    }
    const decile = Math.floor(ratio * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      io.err(`${label}: ${done}/${total} (${Math.floor(ratio * 100)}%)`);
    }
  };
  draw();
  return {
    tick(n = 1) {
      done += n;
      draw();
    },
    done(summary) {
      if (io.interactive && io.write) io.write("\n");
      else if (lastDecile !== 10) io.err(`${label}: ${done}/${total} (100%)`);
      if (summary) io.err(`${label}: ${summary}`);
    },
  };
}
