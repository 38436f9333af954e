import { CUSTOMER_COLUMNS, toCustomerRecord, type CustomerRecord, type CustomerRow } from "./customer-repository.ts";
import type { Sql } from "./types.ts";

/** `%`, `_` and `\` match themselves in a search, not as LIKE wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Customers in id order after `afterId`, optionally those whose id, email or name contains
 * `search` (case-insensitive). Without a search the page is read along the primary key.
 */
export async function listCustomerRecords(sql: Sql, options: { search?: string; afterId?: string; limit: number }): Promise<CustomerRecord[]> {
  const pattern = options.search === undefined ? null : likePattern(options.search);
  const { rows } = await sql.query<CustomerRow>(
    `SELECT ${CUSTOMER_COLUMNS} FROM customers
     WHERE ($1::text IS NULL OR id ILIKE $1 OR email ILIKE $1 OR name ILIKE $1)
       AND ($2::text IS NULL OR id > $2)
     ORDER BY id LIMIT $3`,
    [pattern, options.afterId ?? null, options.limit],
  );
  return rows.map(toCustomerRecord);
}
