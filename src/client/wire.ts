/**
 * A hub answer as it arrives over HTTP: JSON, so every `Date` is its ISO string (`toJSON`), and
 * nothing else changes (money is already integer minor units and decimal strings).
 */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Wire<Item>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
