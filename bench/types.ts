/** One measured figure, printed as a table row and written as JSON with `--json`. */
export interface Figure {
  /** What was measured, e.g. "record (batches of 500)". */
  name: string;
  /** Which store ran it: "pglite", "postgres", or "-" where no store is involved. */
  store: "pglite" | "postgres" | "-";
  value: number;
  /** e.g. "events/s", "lines/s", "s". */
  unit: string;
  /** The raw baseline measured in the same run, in the same unit. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (or baseline / value where lower is better; say so in `notes`). */
  ratio?: number;
  /** The target from the issue, as text, e.g. "ratio >= 0.5" or ">= 20,000 events/s". */
  target?: string;
  /** Whether the target was met in this run (undefined when there is no target or in smoke mode). */
  met?: boolean;
  /** Extra measurements that belong on the same row, e.g. p99 latency or duplicates seen. */
  extra?: Record<string, number | string>;
  notes?: string;
}

export interface BenchOptions {
  /** Smoke mode: tiny sizes, proves the benchmark still runs; figures mean nothing. */
  smoke: boolean;
  /** PostgreSQL URL when the run should also measure on PostgreSQL (DATABASE_URL). */
  databaseUrl?: string;
  /** Progress lines to stderr. */
  log: (line: string) => void;
}

export interface Benchmark {
  /** Short id used by `--only`. */
  id: string;
  title: string;
  run(options: BenchOptions): Promise<Figure[]>;
}

/**
 * Thrown by a benchmark some of whose measurements failed: the run prints the figures it did get
 * and still counts the benchmark as failed.
 */
export class IncompleteBenchmark extends Error {
  constructor(
    message: string,
    readonly figures: Figure[],
  ) {
    super(message);
  }
}
