export interface Column {
  header: string;
  /** Numbers and amounts read best right-aligned. */
  align?: "left" | "right";
}

/**
 * Lays rows out as an aligned plain-text table: a header, a rule, one line per row. Cells are
 * text already formatted by the caller (exact decimals stay as they are).
 *
 * @example
 * formatTable([{ header: "Plan" }, { header: "Limit", align: "right" }], [["free", "1000"], ["pro", "100000"]])
 * // Plan   Limit
 * // ----  ------
 * // free    1000
 * // pro   100000
 */
export function formatTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? "").length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? "";
        return column.align === "right" ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((column) => column.header)), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}
