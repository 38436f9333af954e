import { z } from "zod";

/**
 * `z.strictObject` whose unknown-key error says which fields are allowed, so a typo in a catalog
 * ("unitAmout") is answered with the field names to choose from instead of only "Unrecognized key".
 *
 * @example
 * strictFields({ key: z.string(), unitAmount: z.string() }).safeParse({ key: "api", unitAmout: "1" })
 * // issue at "unitAmout": 'unknown field "unitAmout"; the fields allowed here: key, unitAmount'
 */
export function strictFields<T extends z.ZodRawShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}; the fields allowed here: ${allowed}` : undefined),
  });
}
