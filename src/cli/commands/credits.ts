import { BillingError } from "../../core/errors.ts";
import type { CreditGrantInput } from "../../hub/credits/input.ts";
import { commandArgs, positiveInteger, table } from "../args.ts";
import { announceSampleCatalog, withHub, withSampleCatalog, type Command } from "../command.ts";

const HELP = `Usage: billhub credits <grant | balance | history | expiring | take-back> <customer> [options] [--config <file>]

Prepaid credit: money (whole minor units of the catalog's currency) drawn by invoices, and units
of a metered feature drawn by consumes past the plan's limit.

  billhub credits grant <customer> --id <id> --amount <n> (--feature <key> | --currency <ISO>)
        [--priority <n>] [--effective-at <ISO time>] [--expires-at <ISO time>]
        [--rollover none|all|cap:<n>] [--source purchase|promotion|refund|manual]
      Grants credit; idempotent by --id (the same grant again changes nothing).
  billhub credits balance <customer>
      Money and units per feature: available, scheduled, granted, drawn and expired; then the grants with something left.
  billhub credits history <customer> [--grant <id>] [--limit <n>] [--cursor <c>]
      The credit ledger, oldest entry first.
  billhub credits expiring <customer> [--until <ISO time>]
      What expires or does not roll over by then (default: the next 31 days).
  billhub credits take-back <customer> --grant <id> --reason <text> [--amount <n>]
      Takes back what is left of a grant (a refunded purchase), or at most --amount of it (a
      partial refund: whole minor units for money); what was drawn stays drawn.
      Idempotent by --reason (the same reason again takes nothing more, whatever its --amount).`;

const OPTIONS = {
  id: { type: "string" },
  amount: { type: "string" },
  feature: { type: "string" },
  currency: { type: "string" },
  priority: { type: "string" },
  "effective-at": { type: "string" },
  "expires-at": { type: "string" },
  rollover: { type: "string" },
  source: { type: "string" },
  grant: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  until: { type: "string" },
  reason: { type: "string" },
} as const;

const ACTIONS = ["grant", "balance", "history", "expiring", "take-back"] as const;
type Action = (typeof ACTIONS)[number];

/** Which options each action takes; any other is refused, naming it. */
const ACTION_OPTIONS: Record<Action, readonly string[]> = {
  grant: ["id", "amount", "feature", "currency", "priority", "effective-at", "expires-at", "rollover", "source"],
  balance: [],
  history: ["grant", "limit", "cursor"],
  expiring: ["until"],
  "take-back": ["grant", "reason", "amount"],
};

function refuse(message: string, field: string): never {
  throw new BillingError("VALIDATION_FAILED", `${message}\n\n${HELP}`, { field });
}

function rolloverOf(value: string | undefined): CreditGrantInput["rollover"] {
  if (value === undefined) return undefined;
  if (value === "none" || value === "all") return value;
  const cap = /^cap:(.+)$/.exec(value);
  if (cap) return { cap: cap[1]! };
  return refuse(`--rollover must be none, all or cap:<n>, got ${JSON.stringify(value)}`, "--rollover");
}

function integerOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,7}$/.test(value)) refuse(`${flag} must be a whole number, got ${JSON.stringify(value)}`, flag);
  return Number(value);
}

function iso(date: Date): string {
  return date.toISOString();
}

export const creditsCommand: Command = {
  name: "credits",
  summary: "credits grant | balance | history | expiring | take-back: prepaid credit of a customer",
  help: HELP,
  async run(context) {
    const { values, positionals } = commandArgs(context.args, OPTIONS, HELP);
    const [action, customerId, ...rest] = positionals;
    if (!ACTIONS.includes(action as Action)) refuse(action === undefined ? "billhub credits needs grant, balance, history, expiring or take-back" : `Unknown credits action ${JSON.stringify(action)}`, "args");
    if (customerId === undefined) refuse(`billhub credits ${action} needs the customer's id`, "customer");
    if (rest.length > 0) refuse(`Unexpected argument ${JSON.stringify(rest[0])}`, "args");
    const allowed = ACTION_OPTIONS[action as Action];
    const stray = Object.keys(values).find((name) => !allowed.includes(name));
    if (stray !== undefined) refuse(`--${stray} does not belong to billhub credits ${action}`, `--${stray}`);
    const { io } = context;
    return withHub(
      context,
      async (hub) => {
        announceSampleCatalog(io, hub.config);
        switch (action as Action) {
          case "grant": {
            if (values.id === undefined) refuse("billhub credits grant needs --id", "--id");
            if (values.amount === undefined) refuse("billhub credits grant needs --amount", "--amount");
            const priority = integerOf(values.priority, "--priority");
            const rollover = rolloverOf(values.rollover);
            const { grant, status } = await hub.credits.grant(customerId!, {
              id: values.id!,
              amount: values.amount!,
              ...(values.feature === undefined ? {} : { feature: values.feature }),
              ...(values.currency === undefined ? {} : { currency: values.currency }),
              ...(priority === undefined ? {} : { priority }),
              ...(values["effective-at"] === undefined ? {} : { effectiveAt: values["effective-at"] }),
              ...(values["expires-at"] === undefined ? {} : { expiresAt: values["expires-at"] }),
              ...(rollover === undefined ? {} : { rollover }),
              ...(values.source === undefined ? {} : { source: values.source as never }),
            });
            const what = grant.kind === "money" ? `${grant.amount} ${grant.currency} minor units` : `${grant.amount} units of ${grant.feature}`;
            io.out(`${status === "created" ? "Granted" : "Already granted (unchanged)"}: ${grant.id}, ${what} to ${customerId}${grant.expiresAt ? `, expires ${iso(grant.expiresAt)}` : ""}.`);
            return 0;
          }
          case "balance": {
            const balance = await hub.credits.balance(customerId!);
            const rows = [
              [`money (${balance.money.currency})`, balance.money.available, balance.money.scheduled, balance.money.granted, balance.money.drawn, balance.money.expired],
              ...Object.entries(balance.units).map(([feature, t]) => [`units of ${feature}`, t.available, t.scheduled, t.granted, t.drawn, t.expired]),
            ];
            for (const line of table(["credit", "available", "scheduled", "granted", "drawn", "expired"], rows)) io.out(line);
            if (balance.grants.length > 0) {
              io.out("");
              const grants = balance.grants.map((g) => [g.id, g.kind === "money" ? g.currency! : g.feature!, g.remaining, String(g.priority), iso(g.effectiveAt), g.expiresAt ? iso(g.expiresAt) : "-", g.source]);
              for (const line of table(["grant", "of", "remaining", "priority", "effective", "expires", "source"], grants)) io.out(line);
            }
            return 0;
          }
          case "history": {
            const limit = positiveInteger(values.limit, "--limit");
            const page = await hub.credits.history(customerId!, {
              ...(values.grant === undefined ? {} : { grantId: values.grant }),
              ...(limit === undefined ? {} : { limit }),
              ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
            });
            for (const line of table(["at", "grant", "entry", "amount", "reference"], page.entries.map((e) => [iso(e.at), e.grantId, e.kind, e.amount, e.reference]))) io.out(line);
            if (page.nextCursor !== null) io.out(`More: --cursor ${page.nextCursor}`);
            return 0;
          }
          case "expiring": {
            const { expiries } = await hub.credits.expiring(customerId!, values.until === undefined ? {} : { until: values.until });
            if (expiries.length === 0) {
              io.out(`Nothing of ${customerId}'s credit expires in that time.`);
              return 0;
            }
            for (const line of table(["at", "grant", "of", "amount", "reason"], expiries.map((e) => [iso(e.at), e.grantId, e.feature ?? e.currency!, e.amount, e.reason]))) io.out(line);
            return 0;
          }
          case "take-back": {
            if (values.grant === undefined) refuse("billhub credits take-back needs --grant", "--grant");
            if (values.reason === undefined) refuse("billhub credits take-back needs --reason", "--reason");
            const { grant, amount, status } = await hub.credits.takeBack(customerId!, values.grant!, { reason: values.reason!, ...(values.amount === undefined ? {} : { amount: values.amount }) });
            const of = grant.kind === "money" ? `${grant.currency} minor units` : `units of ${grant.feature}`;
            const left = grant.remaining === "0" ? "nothing of it is left to draw" : `${grant.remaining} is left to draw`;
            const told = {
              taken_back: `Took back ${amount} ${of} of ${grant.id} from ${customerId}; ${left}.`,
              duplicate: `Already taken back for this reason (unchanged): ${amount} ${of} of ${grant.id}.`,
              nothing_left: `Nothing of ${grant.id} was left to take back.`,
            };
            io.out(told[status]);
            return 0;
          }
        }
      },
      withSampleCatalog,
    );
  },
};
