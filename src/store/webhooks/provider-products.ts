import type { Sql } from "../types.ts";

export interface ProductRecord {
  provider: string;
  productId: string;
  name: string;
  active: boolean;
  deleted: boolean;
  metadata: Record<string, string>;
  updatedAt: Date;
}

/** Stores the product's current state (the caller has checked it is newer). */
export async function upsertProduct(sql: Sql, product: ProductRecord): Promise<void> {
  await sql.query(
    `INSERT INTO provider_products (provider, product_id, name, active, deleted, metadata, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
     ON CONFLICT (provider, product_id) DO UPDATE
       SET name = EXCLUDED.name, active = EXCLUDED.active, deleted = EXCLUDED.deleted, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at`,
    [product.provider, product.productId, product.name, product.active, product.deleted, JSON.stringify(product.metadata), product.updatedAt],
  );
}

/** Marks a product deleted; its prices keep their history. */
export async function markProductDeleted(sql: Sql, provider: string, productId: string, at: Date): Promise<void> {
  await sql.query(
    `INSERT INTO provider_products (provider, product_id, name, active, deleted, updated_at)
     VALUES ($1, $2, '', false, true, $3)
     ON CONFLICT (provider, product_id) DO UPDATE SET active = false, deleted = true, updated_at = EXCLUDED.updated_at`,
    [provider, productId, at],
  );
}

/** The synced products with these ids (those never synced are absent). */
export async function findProducts(sql: Sql, provider: string, productIds: readonly string[]): Promise<ProductRecord[]> {
  if (productIds.length === 0) return [];
  const { rows } = await sql.query<{ provider: string; product_id: string; name: string; active: boolean; deleted: boolean; metadata: Record<string, string>; updated_at: Date }>(
    "SELECT provider, product_id, name, active, deleted, metadata, updated_at FROM provider_products WHERE provider = $1 AND product_id = ANY($2::text[])",
    [provider, [...productIds]],
  );
  return rows.map((row) => ({
    provider: row.provider,
    productId: row.product_id,
    name: row.name,
    active: row.active,
    deleted: row.deleted,
    metadata: row.metadata,
    updatedAt: row.updated_at,
  }));
}
