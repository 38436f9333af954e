import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/cli/io.ts";

function capture(interactive: boolean) {
  const lines: string[] = [];
  const writes: string[] = [];
  return { lines, writes, io: { out: () => {}, err: (l: string) => lines.push(l), interactive, write: (t: string) => writes.push(t) } };
}

describe("progress", () => {
  it("prints a plain line at every tenth off a terminal, not one per item", () => {
    const { io, lines } = capture(false);
    const progress = createProgress(io, { label: "Invoicing", total: 1000 });
    for (let i = 0; i < 1000; i += 1) progress.tick();
    progress.done("1000 invoices");
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe("Invoicing: 0/1000 (0%)");
    expect(lines[5]).toBe("Invoicing: 500/1000 (50%)");
    expect(lines.at(-2)).toBe("Invoicing: 1000/1000 (100%)");
    expect(lines.at(-1)).toBe("Invoicing: 1000 invoices");
  });

  it("redraws one bar on a terminal and ends it with a newline", () => {
    const { io, writes, lines } = capture(true);
    const progress = createProgress(io, { label: "Draining", total: 4 });
    progress.tick(2);
    progress.tick(2);
    progress.done();
    expect(writes[0]).toBe(`\rDraining [${"-".repeat(30)}] 0/4`);
    expect(writes[2]).toBe(`\rDraining [${"#".repeat(30)}] 4/4`);
    expect(writes.at(-1)).toBe("\n");
    expect(lines).toEqual([]);
  });

  it("finishes at 100% when there is nothing to do", () => {
    const { io, lines } = capture(false);
    createProgress(io, { label: "Invoicing", total: 0 }).done();
    expect(lines).toEqual(["Invoicing: 0/0 (100%)"]);
  });
});
