import { noOptions, withHub, type Command } from "../command.ts";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply pending database migrations and exit",
  help: `Usage: billhub migrate [--config <file>]

Applies every migration not yet recorded in the schema's billhub_migrations table. Safe to run
twice and from several processes at once (they take turns on an advisory lock).`,
  async run(context) {
    noOptions(context.args, migrateCommand.help);
    await withHub(
      context,
      async (hub) => {
        const report = await hub.migrate();
        context.io.out(report.applied.length === 0 ? `Schema ${hub.config.store.schema} is up to date (${report.alreadyApplied} migrations).` : `Applied ${report.applied.join(", ")}.`);
      },
      (config) => ({ ...config, store: { ...config.store, migrate: false } }),
    );
    return 0;
  },
};
