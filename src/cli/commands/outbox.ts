import type { Hub } from "../../hub.ts";
import type { ForwardReport, OutboxStatusName } from "../../hub/outbox.ts";
import { BillingError } from "../../core/errors.ts";
import { commandArgs, positiveInteger, table } from "../args.ts";
import { withHub, withHubOrService, type Command, type CommandContext } from "../command.ts";
import { createProgress } from "../io.ts";
import type { ServiceHub } from "../service.ts";
import { providerIdsWith } from "../../providers/index.ts";

const PROVIDERS = providerIdsWith("pushUsage").join("|");

const HELP = `Usage: billhub outbox <status | drain | replay | list> [options] [--config <file>]

status and replay also work through a running service: --url <service> --api-key <key>
(or BILLHUB_URL and BILLHUB_API_KEY), e.g. while billhub serve holds the embedded store.

  billhub outbox status
      Rows per provider: pending (due now, in flight), delivered, dead, and the oldest undelivered row.
  billhub outbox drain [--follow] [--batch-size <n>]
      Forwards due rows to their providers until none is due. With --follow it keeps running
      (stop it with Ctrl-C or SIGTERM; the current batch is finished first). Any number of
      drains, on any number of machines, can share one database.
  billhub outbox replay <transactionId> [--provider ${PROVIDERS}]
      Makes that transaction's dead rows pending again (naming a row is your decision to resend it).
  billhub outbox replay --dead [--provider ${PROVIDERS}]
      Makes every dead row pending again, except rows whose earlier sends may have reached a
      provider longer ago than it recognizes a resend (its dedupe window): those are held back for you
      to check at the provider and replay by id.
  billhub outbox list [--status pending|delivered|dead] [--provider p] [--limit <n>] [--cursor <c>]
      Rows oldest first, with their attempts and last error.`;

const OPTIONS = {
  follow: { type: "boolean" },
  "batch-size": { type: "string" },
  dead: { type: "boolean" },
  provider: { type: "string" },
  status: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
} as const;

function summary(report: ForwardReport): string {
  return `${report.claimed} rows: ${report.delivered} delivered, ${report.alreadyDelivered} already at the provider, ${report.retryLater} to retry later, ${report.dead} dead${report.leaseLost > 0 ? `, ${report.leaseLost} taken over by another forwarder` : ""}`;
}

function age(seconds: number | null): string {
  if (seconds === null) return "-";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

async function status(hub: ServiceHub, context: CommandContext): Promise<number> {
  const { providers, totals } = await hub.outbox.status();
  if (providers.length === 0) {
    context.io.out("The outbox is empty.");
    return 0;
  }
  const rows = providers.map((p) => [p.provider, String(p.pending), String(p.due), String(p.inFlight), String(p.delivered), String(p.dead), age(p.oldestPendingAgeSeconds)]);
  for (const line of table(["provider", "pending", "due", "in flight", "delivered", "dead", "oldest pending"], rows)) context.io.out(line);
  if (totals.dead > 0) context.io.out(`${totals.dead} dead: see billhub outbox list --status dead, then billhub outbox replay.`);
  return 0;
}

async function drain(hub: Hub, context: CommandContext, follow: boolean, batchSize: number | undefined): Promise<number> {
  const { io } = context;
  if (follow) {
    const stop = new AbortController();
    const onSignal = (signal: string) => {
      io.err(`${signal} received: finishing the current batch`);
      stop.abort();
    };
    const onInt = () => onSignal("SIGINT");
    const onTerm = () => onSignal("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    io.err(`Forwarding the outbox until stopped (Ctrl-C).`);
    try {
      const total = await hub.outbox.drain({
        follow: true,
        signal: stop.signal,
        log: io.err,
        ...(batchSize ? { batchSize } : {}),
        onBatch: (batch) => {
          if (batch.claimed > 0) io.err(`Forwarded ${summary(batch)}`);
        },
      });
      io.out(`Forwarded ${summary(total)}.`);
    } finally {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    }
    return 0;
  }
  const due = (await hub.outbox.status()).totals.due;
  const progress = createProgress(io, { label: "Forwarding", total: due });
  const total = await hub.outbox.drain({ ...(batchSize ? { batchSize } : {}), log: io.err, onBatch: (batch) => progress.tick(batch.claimed) });
  progress.done();
  io.out(`Forwarded ${summary(total)}.`);
  const after = (await hub.outbox.status()).totals;
  if (after.pending > 0) io.out(`${after.pending} rows still pending (waiting for a retry or held by another forwarder).`);
  if (after.dead > 0) io.out(`${after.dead} dead: see billhub outbox list --status dead.`);
  return 0;
}

async function replay(hub: ServiceHub, context: CommandContext, transactionId: string | undefined, dead: boolean, provider: string | undefined): Promise<number> {
  if (dead === (transactionId !== undefined)) {
    throw new BillingError("VALIDATION_FAILED", `billhub outbox replay takes a transaction id or --dead, not ${dead ? "both" : "neither"}\n\n${HELP}`, { field: "args" });
  }
  const result = await hub.outbox.replay(dead ? { dead: true, ...(provider ? { provider } : {}) } : { transactionId: transactionId!, ...(provider ? { provider } : {}) });
  context.io.out(`Replayed ${result.replayed} dead row${result.replayed === 1 ? "" : "s"}; the forwarder sends ${result.replayed === 1 ? "it" : "them"} next.`);
  for (const row of result.notDead) context.io.out(`${row.transactionId} → ${row.provider} is ${row.status}: nothing to replay.`);
  if (result.heldBack > 0) {
    context.io.out(
      `Held back ${result.heldBack} row(s) whose earlier sends may have reached the provider longer ago than it recognizes a resend: check each at the provider, then replay it by id (e.g. ${result.heldBackExamples.join(", ")}).`,
    );
  }
  return 0;
}

async function list(hub: Hub, context: CommandContext, values: { status?: string; provider?: string; limit?: string; cursor?: string }): Promise<number> {
  const page = await hub.outbox.list({
    ...(values.status ? { status: values.status as OutboxStatusName } : {}),
    ...(values.provider ? { provider: values.provider } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
    limit: positiveInteger(values.limit, "--limit") ?? 50,
  });
  const rows = page.rows.map((row) => [row.transactionId, row.provider, row.role, row.inFlight ? "in flight" : row.status, String(row.attempts), row.lastErrorCode ?? "", (row.lastError ?? "").slice(0, 120)]);
  for (const line of table(["transaction", "provider", "role", "status", "attempts", "last error", ""], rows)) context.io.out(line);
  if (page.nextCursor) context.io.out(`More: billhub outbox list --cursor ${page.nextCursor}`);
  return 0;
}

export const outboxCommand: Command = {
  name: "outbox",
  summary: "status | drain [--follow] | replay | list: forward usage to providers and look after the outbox",
  help: HELP,
  service: true,
  async run(context) {
    const { values, positionals } = commandArgs(context.args, OPTIONS, HELP);
    const [action, ...rest] = positionals;
    const extra = (allowed: number) => {
      if (rest.length > allowed) throw new BillingError("VALIDATION_FAILED", `Unexpected argument ${JSON.stringify(rest[allowed])}\n\n${HELP}`, { field: "args" });
    };
    switch (action) {
      case "status":
        extra(0);
        return withHubOrService(context, (hub) => status(hub, context));
      case "drain":
        extra(0);
        return withHub(context, (hub) => drain(hub, context, values.follow === true, positiveInteger(values["batch-size"], "--batch-size")));
      case "replay":
        extra(1);
        return withHubOrService(context, (hub) => replay(hub, context, rest[0], values.dead === true, values.provider));
      case "list":
        extra(0);
        return withHub(context, (hub) => list(hub, context, values));
      default:
        context.io.err(`${action === undefined ? "billhub outbox needs an action" : `Unknown outbox action "${action}"`}.\n\n${HELP}`);
        return 1;
    }
  },
};
