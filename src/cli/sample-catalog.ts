import { fileURLToPath } from "node:url";

/**
 * The catalog every command runs with when none is configured (`catalog` / BILLHUB_CATALOG), so
 * a fresh clone has plans to show: `billhub serve`, `billhub demo` and `billhub invoice preview`
 * see the same plans. (Two folders up from src/cli/ and from dist/cli/ alike is the package.)
 */
export const SAMPLE_CATALOG = fileURLToPath(new URL("../../fixtures/catalog.json", import.meta.url));
