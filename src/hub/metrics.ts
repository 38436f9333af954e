/**
 * A small Prometheus registry. Areas of the hub register their counters, gauges and histograms
 * here; the service renders them at `/metrics` in the text exposition format. Label values come
 * from fixed sets chosen by the code (outcomes, codes, routes), never from request data, so no
 * secret or customer data can leak into a scrape.
 */
type Labels = Readonly<Record<string, string>>;

interface Series {
  render(): Promise<string[]>;
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
}

export interface Metrics {
  counter(name: string, help: string): Counter;
  /** A gauge read at scrape time (e.g. outbox depth from the database). */
  gauge(name: string, help: string, collect: () => Promise<ReadonlyArray<{ labels?: Labels; value: number }>>): void;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  render(): Promise<string>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels | undefined, extra?: Labels): string {
  const all = { ...labels, ...extra };
  const keys = Object.keys(all).sort();
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escapeLabel(all[k]!)}"`).join(",")}}`;
}

function key(labels: Labels | undefined): string {
  return labelText(labels);
}

/** Creates an empty registry; each hub has its own. */
export function createMetrics(): Metrics {
  const series = new Map<string, Series>();

  function register<T extends Series>(name: string, make: () => T): T {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`Invalid metric name ${name}`);
    const existing = series.get(name);
    if (existing) return existing as T;
    const created = make();
    series.set(name, created);
    return created;
  }

  return {
    counter(name, help) {
      return register(name, () => {
        const values = new Map<string, { labels: Labels | undefined; value: number }>();
        return {
          inc(labels?: Labels, by = 1) {
            const k = key(labels);
            const entry = values.get(k) ?? { labels, value: 0 };
            entry.value += by;
            values.set(k, entry);
          },
          async render() {
            return [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...[...values.values()].map((e) => `${name}${labelText(e.labels)} ${e.value}`)];
          },
        };
      });
    },
    gauge(name, help, collect) {
      register(name, () => ({
        async render() {
          const values = await collect();
          return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...values.map((v) => `${name}${labelText(v.labels)} ${v.value}`)];
        },
      }));
    },
    histogram(name, help, buckets) {
      return register(name, () => {
        const sorted = [...buckets].sort((a, b) => a - b);
        const values = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
        return {
          observe(labels: Labels, value: number) {
            const k = key(labels);
            const entry = values.get(k) ?? { labels, counts: sorted.map(() => 0), sum: 0, count: 0 };
            sorted.forEach((bound, i) => {
              if (value <= bound) entry.counts[i]! += 1;
            });
            entry.sum += value;
            entry.count += 1;
            values.set(k, entry);
          },
          async render() {
            const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
            for (const e of values.values()) {
              sorted.forEach((bound, i) => lines.push(`${name}_bucket${labelText(e.labels, { le: String(bound) })} ${e.counts[i]}`));
              lines.push(`${name}_bucket${labelText(e.labels, { le: "+Inf" })} ${e.count}`);
              lines.push(`${name}_sum${labelText(e.labels)} ${e.sum}`);
              lines.push(`${name}_count${labelText(e.labels)} ${e.count}`);
            }
            return lines;
          },
        };
      });
    },
    async render() {
      const parts = await Promise.all([...series.values()].map((s) => s.render()));
      return `${parts.flat().join("\n")}\n`;
    },
  };
}
