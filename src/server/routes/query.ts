import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { NAMED_WINDOWS } from "../../core/periods.ts";
import type { WindowInput } from "../../hub/ledger.ts";

/**
 * Query parameters arrive as text. These read them strictly: no "1e3", no "", no "NaN", so a
 * parameter is either exactly what the route documents or a 400 naming it.
 */
export const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be between 1 and ${max}`);

export const flag = z.enum(["true", "false"], { error: "must be true or false" }).transform((value) => value === "true");

/** A comma-separated list of keys, e.g. `features=api,sso`. */
export const keyList = z
  .string()
  .max(4000)
  .transform((value) => value.split(",").map((key) => key.trim()).filter((key) => key !== ""))
  .refine((keys) => keys.length > 0, "must name at least one key");

export const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with a zone, e.g. 2026-03-01T00:00:00Z" });

/** `window=month`, or a custom window as `from` and `to`; `at` takes a named window at another moment. */
export const windowParams = {
  window: z.enum(NAMED_WINDOWS, { error: `must be one of ${NAMED_WINDOWS.join(", ")}` }).optional(),
  from: instant.optional(),
  to: instant.optional(),
  at: instant.optional(),
};

/** The ledger's window from `window`, or from `from` and `to` (both, and not with `window`). */
export function windowFrom(query: { window?: WindowInput | undefined; from?: string | undefined; to?: string | undefined }): WindowInput | undefined {
  const custom = query.from !== undefined || query.to !== undefined;
  if (custom && query.window !== undefined) {
    throw new BillingError("VALIDATION_FAILED", "give either window or from and to, not both", { field: "query.window" });
  }
  if (!custom) return query.window;
  if (query.from === undefined || query.to === undefined) {
    const missing = query.from === undefined ? "from" : "to";
    throw new BillingError("VALIDATION_FAILED", `a custom window needs both from and to; ${missing} is missing`, { field: `query.${missing}` });
  }
  return { from: query.from, to: query.to };
}

const FILTER_PREFIX = "filter.";

/**
 * A query schema of `shape` plus property filters written `filter.<property>=<value>`
 * (e.g. `filter.model=gpt-5`), gathered into `filter`. Any other parameter is refused.
 */
export function withPropertyFilter<S extends z.ZodRawShape>(shape: S) {
  return z
    .object(shape)
    .catchall(z.string())
    .transform((query, ctx) => {
      const known: Record<string, unknown> = {};
      const filter: Record<string, string> = {};
      for (const [key, value] of Object.entries(query)) {
        if (Object.hasOwn(shape, key)) known[key] = value;
        else if (key.startsWith(FILTER_PREFIX) && key.length > FILTER_PREFIX.length) filter[key.slice(FILTER_PREFIX.length)] = value as string;
        else ctx.addIssue({ code: "custom", path: [key], message: `is not a parameter of this route; it takes ${Object.keys(shape).join(", ")} and filter.<property>` });
      }
      return { ...known, ...(Object.keys(filter).length > 0 ? { filter } : {}) } as z.output<z.ZodObject<S>> & { filter?: Record<string, string> };
    });
}
