import type { CatalogProvider } from "../../hub/webhooks.ts";
import { providerDefinition, providerIdsWith } from "../../providers/index.ts";
import { noOptions, withHub, type Command } from "../command.ts";

/** The providers whose catalogs billhub pulls (their definitions declare `pullCatalog`). */
const TARGETS = providerIdsWith("pullCatalog") as CatalogProvider[];

const HELP = [`Usage: billhub sync ${TARGETS.join("|")} [--config <file>]`, ...TARGETS.flatMap((id) => providerDefinition(id)?.help?.sync ?? [])].join("\n\n");

export const syncCommand: Command = {
  name: "sync",
  summary: `sync ${TARGETS.join("|")}: pull a provider's catalog into the price history and exit`,
  help: HELP,
  async run(context) {
    const [target] = context.args;
    if (!TARGETS.includes(target as CatalogProvider)) {
      const pulled = TARGETS.length === 1 ? `the only catalog billhub pulls is ${TARGETS[0]}'s` : `billhub pulls the catalogs of ${TARGETS.join(", ")}`;
      context.io.err(`${target === undefined ? "billhub sync needs a provider" : `Cannot sync "${target}"`}: ${pulled}.\n\n${HELP}`);
      return 1;
    }
    const provider = target as CatalogProvider;
    noOptions(context.args.slice(1), HELP);
    await withHub(context, async (hub) => {
      const report = await hub.prices.sync(provider);
      const list = (names: string[]) => (names.length === 0 ? "" : ` (${names.join(", ")})`);
      context.io.out(
        `Synced ${providerDefinition(provider)!.displayName} pricing model ${report.pricingModelId}: ${report.prices} prices; ${report.added.length} added${list(report.added)}, ` +
          `${report.changed.length} changed${list(report.changed)}, ${report.removed.length} removed${list(report.removed)}, ${report.unchanged} unchanged.`,
      );
    });
    return 0;
  },
};
