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
export function commandArgs<T extends OptionSpec>(args: string[], options: T, help: string): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new BillingError("VALIDATION_FAILED", `${(error as Error).message}\n\n${help}`, { field: "args" });
  }
}

/**
 * The action of a command with sub-actions (`billhub rollups verify`): one of `actions` and
 * nothing after it, or VALIDATION_FAILED with the command's help.
 */
export function commandAction<A extends string>(command: string, positionals: readonly string[], actions: readonly A[], help: string): A {
  const [action, ...rest] = positionals;
  if (!actions.includes(action as A)) {
    const listed = actions.length > 1 ? `${actions.slice(0, -1).join(", ")} or ${actions[actions.length - 1]}` : actions[0];
    const problem = action === undefined ? `billhub ${command} needs ${listed}` : `Unknown ${command} action ${JSON.stringify(action)}`;
    throw new BillingError("VALIDATION_FAILED", `${problem}\n\n${help}`, { field: "args" });
  }
  if (rest.length > 0) throw new BillingError("VALIDATION_FAILED", `Unexpected argument ${JSON.stringify(rest[0])}\n\n${help}`, { field: "args" });
  return action as A;
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
