import { z } from "zod";

/**
 * Text billhub stores goes to PostgreSQL as UTF-8. Two kinds of JavaScript string have no UTF-8
 * form: one holding U+0000 (no text or jsonb value can), and one holding a lone UTF-16 surrogate
 * (`"x\ud800"`), which encoders silently turn into U+FFFD, so the id `"x\ud800"` would land on the
 * customer `"x\uFFFD"`, and which jsonb refuses outright. Both are refused where input enters.
 */
export const NUL_MESSAGE = "must not contain a NUL character (\\u0000)";
export const LONE_SURROGATE_MESSAGE = "must not contain a lone UTF-16 surrogate (\\uD800–\\uDFFF without its pair): it has no UTF-8 form";

// With the `u` flag a string is read by code points, so only an unpaired surrogate is in Cs.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why `text` cannot be stored as sent, or undefined when it can.
 *
 * @example
 * textProblem("cus_1")     // undefined
 * textProblem("x\ud800")   // "must not contain a lone UTF-16 surrogate ..."
 * textProblem("😀")        // undefined (a surrogate pair is one character)
 */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return LONE_SURROGATE_MESSAGE;
  return undefined;
}

/**
 * The first key or string inside a JSON-like value that cannot be stored, with its path
 * (`["tags", 0]`); undefined when there is none. Walks plain objects and arrays only.
 *
 * @example
 * unstorablePart({ k: { deep: ["x\ud800"] } }) // { path: ["k", "deep", 0], message: "must not contain a lone UTF-16 surrogate ..." }
 */
export function unstorablePart(value: unknown, path: Array<string | number> = []): { path: Array<string | number>; message: string } | undefined {
  if (typeof value === "string") {
    const message = textProblem(value);
    return message === undefined ? undefined : { path, message };
  }
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorablePart(item, [...path, index]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const message = textProblem(key);
    if (message !== undefined) return { path: [...path, key], message };
    const found = unstorablePart(item, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Adds one issue for the first unstorable key or string inside `value`, at its path. */
export function refineStorable(value: unknown, ctx: z.RefinementCtx): void {
  const found = unstorablePart(value);
  if (found !== undefined) ctx.addIssue({ code: "custom", path: found.path, message: found.message });
}

/**
 * A zod string that PostgreSQL can store as sent. Every text input a hub call or route takes is
 * built on it (ids, names, keys, reasons), so the rule lives in one place.
 *
 * @example
 * storableText().max(255).safeParse("x\ud800").success // false
 */
export const storableText = () => z.string().superRefine(refineStorable);

/** Free-form JSON metadata (keys of at most 200 characters), with nothing unstorable anywhere inside. */
export const storableRecord = (keyMax = 200) => z.record(z.string().max(keyMax), z.unknown()).superRefine(refineStorable);
