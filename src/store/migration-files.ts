import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** One migration file: its name (`0001_customers.sql`) and its SQL. */
export interface MigrationFile {
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** The folder the source tree keeps its migrations in. */
const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

/**
 * The migration files of `dir`, in name order.
 *
 * The built package replaces this module with one that holds the same files' text
 * (scripts/build.mjs), so an installed or bundled billhub never reads a folder beside its code.
 */
export async function migrationFiles(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(`${dir}/${name}`, "utf8") })));
}
