import { parseArgs } from "node:util";
import { BillingError } from "../core/errors.ts";

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

/**
 * A command's own options, strictly: an unknown option or a missing value is a
 * VALIDATION_FAILED naming it (printed as `VALIDATION_FAILED: ...`, exit 1).
 *
 * @example
 * const { values, positionals } = commandArgs(["replay", "--dead"], { dead: { type: "boolean" }, provider: { type: "string" } });
 * // values.dead === true, positionals: ["replay"]
 */
export function commandArgs<T extends OptionSpec>(args: string[], options: T, help: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new BillingError("VALIDATION_FAILED", `${(error as Error).message}\n\n${help}`, { field: "args" });
  }
}

/** A whole positive number from a flag, or VALIDATION_FAILED naming the flag. */
export function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new BillingError("VALIDATION_FAILED", `${flag} must be a whole number above 0, got ${JSON.stringify(value)}`, { field: flag });
  return Number(value);
}

/** Lines of a left-aligned text table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}
