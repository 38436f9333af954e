/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) of text values, for a parameter cast to an array
 * type (`$1::text[]`, `$2::numeric[]`, `$3::timestamptz[]`). Both drivers pass a string parameter
 * through as it is, so the batch insert skips their generic per-element array serializers, which
 * cost about 1 ms per 500-row batch more than this. `null` and `undefined` become NULL; every
 * other value is quoted, with `"` and `\` escaped, so commas, braces, spaces and the word NULL
 * stay text.
 *
 * @example
 * arrayLiteral(["a", 'say "hi"', null, 1.5, true]) // '{"a","say \\"hi\\"",NULL,"1.5","true"}'
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let text = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) text += ",";
    if (value === null || value === undefined) {
      text += "NULL";
      continue;
    }
    const element = String(value);
    text += NEEDS_ESCAPE.test(element) ? `"${element.replace(ESCAPED, "\\$&")}"` : `"${element}"`;
  }
  return `${text}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;
