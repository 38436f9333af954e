import { BillingError } from "../../core/errors.ts";
import { ALERT_KINDS } from "../../core/catalog/index.ts";
import type { Hub } from "../../hub.ts";
import { DELIVERY_STATUSES } from "../../hub/alerts/alerts-api.ts";
import type { AlertListInput } from "../../hub/alerts/index.ts";
import { commandArgs, positiveInteger, table } from "../args.ts";
import { withHub, withHubOrService, type Command, type CommandContext } from "../command.ts";
import type { ServiceHub } from "../service.ts";

const HELP = `Usage: billhub alerts <list | replay> [options] [--config <file>]

replay also works through a running service: --url <service> --api-key <key>
(or BILLHUB_URL and BILLHUB_API_KEY), e.g. while billhub serve holds the embedded store.

  billhub alerts list [--customer <id>] [--status pending|delivered|dead] [--alert <key>]
        [--kind ${ALERT_KINDS.join("|")}] [--limit <n>] [--cursor <c>]
      Fired threshold alerts, newest first, with each endpoint's delivery (status, attempts).
      --status keeps the alerts with a delivery in that status.
  billhub alerts replay <eventId> [--endpoint <id>]
      Makes that alert's dead deliveries pending again, with the same event id.
  billhub alerts replay --dead [--endpoint <id>]
      Makes every dead delivery pending again (only those to one endpoint with --endpoint).`;

const OPTIONS = {
  customer: { type: "string" },
  status: { type: "string" },
  alert: { type: "string" },
  kind: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  dead: { type: "boolean" },
  endpoint: { type: "string" },
} as const;

const ACTIONS = ["list", "replay"] as const;
type Action = (typeof ACTIONS)[number];

/** Which options each action takes; any other is refused, naming it. */
const ACTION_OPTIONS: Record<Action, readonly string[]> = {
  list: ["customer", "status", "alert", "kind", "limit", "cursor"],
  replay: ["dead", "endpoint"],
};

function refuse(message: string, field: string): never {
  throw new BillingError("VALIDATION_FAILED", `${message}\n\n${HELP}`, { field });
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) refuse(`${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`, flag);
  return value as T;
}

async function list(hub: Hub, context: CommandContext, values: { customer?: string; status?: string; alert?: string; kind?: string; limit?: string; cursor?: string }): Promise<number> {
  const status = oneOf(values.status, DELIVERY_STATUSES, "--status");
  const kind = oneOf(values.kind, ALERT_KINDS, "--kind");
  const query: AlertListInput = {
    ...(values.customer === undefined ? {} : { customerId: values.customer }),
    ...(status === undefined ? {} : { status }),
    ...(values.alert === undefined ? {} : { alert: values.alert }),
    ...(kind === undefined ? {} : { kind }),
    ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
    limit: positiveInteger(values.limit, "--limit") ?? 50,
  };
  const page = await hub.alerts.list(query);
  if (page.alerts.length === 0) {
    context.io.out("No alert has fired that matches.");
    return 0;
  }
  const rows = page.alerts.map((alert) => [
    alert.id,
    alert.alert,
    alert.kind,
    alert.customerId,
    alert.feature ?? "-",
    alert.threshold,
    alert.value,
    alert.window.start.toISOString(),
    alert.firedAt.toISOString(),
    alert.deliveries.map((d) => `${d.endpoint}:${d.status}(${d.attempts})`).join(" ") || "-",
  ]);
  for (const line of table(["event", "alert", "kind", "customer", "feature", "threshold", "value", "window", "fired", "deliveries"], rows)) context.io.out(line);
  const dead = page.alerts.flatMap((alert) => alert.deliveries.filter((d) => d.status === "dead").map((d) => ({ alert, delivery: d })));
  for (const { alert, delivery } of dead) context.io.out(`${alert.id} → ${delivery.endpoint} is dead: ${(delivery.lastError ?? "").slice(0, 160)}`);
  if (dead.length > 0) context.io.out("Replay with billhub alerts replay <event> (or --dead), once the endpoint answers again.");
  if (page.nextCursor !== null) context.io.out(`More: billhub alerts list --cursor ${page.nextCursor}`);
  return 0;
}

async function replay(hub: Pick<ServiceHub, "alerts">, context: CommandContext, eventId: string | undefined, dead: boolean, endpoint: string | undefined): Promise<number> {
  if (dead === (eventId !== undefined)) refuse(`billhub alerts replay takes an event id or --dead, not ${dead ? "both" : "neither"}`, "args");
  const result = await hub.alerts.replay(dead ? { dead: true, ...(endpoint ? { endpoint } : {}) } : { eventId: eventId!, ...(endpoint ? { endpoint } : {}) });
  context.io.out(`Replayed ${result.replayed} dead deliver${result.replayed === 1 ? "y" : "ies"}; the alert sender sends ${result.replayed === 1 ? "it" : "them"} next.`);
  for (const row of result.notDead) context.io.out(`${row.eventId} → ${row.endpoint} is ${row.status}: nothing to replay.`);
  return 0;
}

export const alertsCommand: Command = {
  name: "alerts",
  summary: "alerts list | replay: fired threshold alerts and their webhook deliveries",
  help: HELP,
  service: true,
  async run(context) {
    const { values, positionals } = commandArgs(context.args, OPTIONS, HELP);
    const [action, ...rest] = positionals;
    if (!ACTIONS.includes(action as Action)) refuse(action === undefined ? "billhub alerts needs list or replay" : `Unknown alerts action ${JSON.stringify(action)}`, "args");
    const allowed = ACTION_OPTIONS[action as Action];
    const stray = Object.keys(values).find((name) => !allowed.includes(name));
    if (stray !== undefined) refuse(`--${stray} does not belong to billhub alerts ${action}`, `--${stray}`);
    if (rest.length > (action === "replay" ? 1 : 0)) refuse(`Unexpected argument ${JSON.stringify(rest.at(-1))}`, "args");
    if (action === "list") return withHub(context, (hub) => list(hub, context, values));
    return withHubOrService(context, (hub) => replay(hub, context, rest[0], values.dead === true, values.endpoint));
  },
};
