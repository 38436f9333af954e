import { writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { benchmarks } from "./suites.ts";
import { IncompleteBenchmark, type Figure } from "./types.ts";

const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
const jsonIndex = args.indexOf("--json");
const jsonPath = jsonIndex >= 0 ? (args[jsonIndex + 1] && !args[jsonIndex + 1]!.startsWith("--") ? args[jsonIndex + 1]! : "bench-results.json") : undefined;
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? "").split(",").filter(Boolean)) : undefined;

if (args.includes("--help")) {
  console.log(`npm run bench [-- --smoke] [--only id,id] [--json [file]]\nbenchmarks: ${benchmarks.map((b) => b.id).join(", ")}`);
  process.exit(0);
}
const unknown = only ? [...only].filter((id) => !benchmarks.some((b) => b.id === id)) : [];
if (unknown.length > 0) {
  console.error(`unknown benchmark id(s): ${unknown.join(", ")}; known: ${benchmarks.map((b) => b.id).join(", ")}`);
  process.exit(2);
}

const machine = { cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
const log = (line: string) => process.stderr.write(`${line}\n`);
const figures: Figure[] = [];
const failures: string[] = [];

log(`billhub bench${smoke ? " (smoke)" : ""} on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}${process.env.DATABASE_URL ? ", PostgreSQL from DATABASE_URL" : ", PGlite only (set DATABASE_URL for PostgreSQL)"}`);
for (const bench of benchmarks) {
  if (only && !only.has(bench.id)) continue;
  log(`-- ${bench.id}: ${bench.title}`);
  const started = performance.now();
  try {
    const got = await bench.run({ smoke, databaseUrl: process.env.DATABASE_URL, log: (line) => log(`   ${line}`) });
    figures.push(...(smoke ? got.map((f) => ({ ...f, met: undefined })) : got));
    log(`   done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failures.push(bench.id);
    if (error instanceof IncompleteBenchmark) figures.push(...(smoke ? error.figures.map((f) => ({ ...f, met: undefined })) : error.figures));
    log(`   FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

printTable(figures);
if (jsonPath) {
  writeFileSync(jsonPath, `${JSON.stringify({ machine, smoke, at: new Date().toISOString(), figures }, null, 2)}\n`);
  log(`wrote ${jsonPath}`);
}
if (failures.length > 0) {
  log(`failed: ${failures.join(", ")}`);
  process.exitCode = 1;
}

function printTable(rows: Figure[]): void {
  const header = ["benchmark", "store", "value", "baseline", "ratio", "target", "met", "extra"];
  const body = rows.map((f) => [
    f.name,
    f.store,
    `${fmt(f.value)} ${f.unit}`,
    f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.name})` : "",
    f.ratio === undefined ? "" : f.ratio >= 0.1 ? f.ratio.toFixed(2) : f.ratio.toPrecision(2),
    f.target ?? "",
    f.met === undefined ? "" : f.met ? "yes" : "NO",
    f.extra ? Object.entries(f.extra).map(([k, v]) => `${k}=${typeof v === "number" ? fmt(v) : v}`).join(" ") : "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of body) console.log(line(r));
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return n.toPrecision(3);
}
