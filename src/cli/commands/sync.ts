import { withHub, type Command } from "../command.ts";

const HELP = `Usage: billhub sync flowglad [--config <file>]

Pulls Flowglad's default pricing model (GET /api/v1/pricing-models/default) into billhub's
price history: each price under its slug, a changed price as a new version from now on, a price
no longer in the model ended. Flowglad sends no price events, so run this after changing prices
in Flowglad (or set flowglad.catalogSyncIntervalMs / FLOWGLAD_CATALOG_SYNC_INTERVAL_MS and let
billhub serve do it). Needs FLOWGLAD_SECRET_KEY (and FLOWGLAD_BASE_URL for a non-hosted Flowglad).`;

export const syncCommand: Command = {
  name: "sync",
  summary: "sync flowglad: pull Flowglad's pricing model into the price history and exit",
  help: HELP,
  async run(context) {
    const [target] = context.args;
    if (target !== "flowglad") {
      context.io.err(`${target === undefined ? "billhub sync needs a provider" : `Cannot sync "${target}"`}: the only catalog billhub pulls is flowglad's.\n\n${HELP}`);
      return 1;
    }
    await withHub(context, async (hub) => {
      const report = await hub.syncFlowgladCatalog();
      const list = (names: string[]) => (names.length === 0 ? "" : ` (${names.join(", ")})`);
      context.io.out(
        `Synced Flowglad pricing model ${report.pricingModelId}: ${report.prices} prices; ${report.added.length} added${list(report.added)}, ` +
          `${report.changed.length} changed${list(report.changed)}, ${report.removed.length} removed${list(report.removed)}, ${report.unchanged} unchanged.`,
      );
    });
    return 0;
  },
};
