import { z } from "zod";
import type { Hub } from "../../../hub.ts";
import type { ReplayResult } from "../../../hub/outbox.ts";
import { providerIdsWith } from "../../../providers/index.ts";
import { OUTBOX_STATUSES } from "../../../store/outbox/read.ts";
import { Empty, Notice, Pager, Select } from "../components.tsx";
import { formatTime } from "../format.ts";
import { href, Page, type Frame } from "../layout.tsx";
import { choice, parseQuery, required, text } from "../query.ts";
import { OutboxSummary } from "./outbox-summary.tsx";

const PAGE_SIZE = 50;
const PROVIDERS = providerIdsWith("pushUsage");

const listSchema = z.strictObject({
  status: choice(OUTBOX_STATUSES, "an outbox status").optional(),
  provider: choice(PROVIDERS, "a provider that receives usage").optional(),
  transactionId: text(100).optional(),
  cursor: text(1000).optional(),
  replayed: z.string().regex(/^\d{1,9}$/, "is set only by a replay").optional(),
  heldBack: z.string().regex(/^\d{1,9}$/, "is set only by a replay").optional(),
});

/** Every dead row of one provider, named by the bulk replay's link and form. */
export const replayDeadSchema = z.strictObject({
  provider: required(choice(PROVIDERS, "a provider that receives usage"), "is required: whose dead rows to replay"),
});

function replayNotice(replayed: string, heldBack: string | undefined) {
  const rows = replayed === "1" ? "1 dead row was" : `${replayed} dead rows were`;
  const held = heldBack === undefined || heldBack === "0" ? "" : ` ${heldBack} held back: an earlier send may have reached the provider longer ago than its dedupe window covers; check them at the provider, then replay each.`;
  return `${rows} made pending again; the forwarder sends them on its next pass.${held}`;
}

/** One dead row, named by the replay links and forms. */
export const replayTargetSchema = z.strictObject({
  transactionId: required(text(100), "is required: the transaction id of the dead row"),
  provider: required(choice(PROVIDERS, "a provider that receives usage"), "is required: the provider of the dead row"),
});

/** Outbox rows by status and provider; dead rows link to their replay (a write key's, after confirmation). */
export async function outboxPage(hub: Hub, frame: Frame, rawQuery: Record<string, string>) {
  const query = parseQuery(listSchema, rawQuery);
  const filter = { status: query.status, provider: query.provider, transactionId: query.transactionId };
  const [status, page] = await Promise.all([
    hub.outbox.status(),
    hub.outbox.list({
      limit: PAGE_SIZE,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.provider === undefined ? {} : { provider: query.provider }),
      ...(query.transactionId === undefined ? {} : { transactionId: query.transactionId }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    }),
  ]);
  const canReplay = frame.session.access === "write";
  return (
    <Page title="Outbox" section="outbox" frame={frame}>
      {query.replayed === undefined ? null : <Notice>{replayNotice(query.replayed, query.heldBack)}</Notice>}
      <section class="panel" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Per provider</h2>
        <OutboxSummary providers={status.providers} />
      </section>
      <form class="filters" method="get" action={href("/outbox")}>
        <Select label="Status" name="status" options={OUTBOX_STATUSES} selected={query.status} any />
        <Select label="Provider" name="provider" options={PROVIDERS} selected={query.provider} any />
        <label>
          Transaction id
          <input type="text" name="transactionId" value={query.transactionId ?? ""} maxlength={100} />
        </label>
        <button class="primary" type="submit">
          Filter
        </button>
      </form>
      {canReplay ? null : <p class="muted">Replaying dead rows needs a sign-in with a write key.</p>}
      {canReplay && query.status === "dead" && query.provider !== undefined && page.rows.length > 0 ? (
        <p>
          <a href={href("/outbox/replay-dead", { provider: query.provider })}>{`Replay every dead row of ${query.provider}…`}</a>
        </p>
      ) : null}
      {page.rows.length === 0 ? (
        <Empty>No outbox rows match.</Empty>
      ) : (
        <div class="scroll">
          <table aria-label="Outbox rows">
            <thead>
              <tr>
                <th scope="col">Transaction</th>
                <th scope="col">Customer</th>
                <th scope="col">Provider</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Queued</th>
                <th scope="col">Next attempt / delivered</th>
                {canReplay ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {page.rows.map((row) => (
                <tr data-transaction-id={row.transactionId} data-provider={row.provider} data-status={row.status}>
                  <td class="mono">{row.transactionId}</td>
                  <td class="mono">
                    <a href={href(`/customers/${encodeURIComponent(row.customerId)}`)}>{row.customerId}</a>
                  </td>
                  <td>{row.role === "mirror" ? `${row.provider} (mirror)` : row.provider}</td>
                  <td>{row.inFlight ? `${row.status}, in flight` : row.status}</td>
                  <td class="num">{String(row.attempts)}</td>
                  <td class="err">{row.lastError === null ? "" : `${row.lastErrorCode === null ? "" : `${row.lastErrorCode}: `}${row.lastError}`}</td>
                  <td>{formatTime(row.createdAt)}</td>
                  <td>{row.status === "delivered" ? formatTime(row.deliveredAt) : row.status === "dead" ? "—" : formatTime(row.nextAttemptAt)}</td>
                  {canReplay ? (
                    <td>{row.status === "dead" ? <a href={href("/outbox/replay", { transactionId: row.transactionId, provider: row.provider })}>{`Replay ${row.transactionId}…`}</a> : ""}</td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="Outbox pages" first={href("/outbox", filter)} next={page.nextCursor === null ? null : href("/outbox", { ...filter, cursor: page.nextCursor })} />
    </Page>
  );
}

/** The confirmation a replay asks for: what will be sent again, and the button that does it. */
export async function replayConfirmPage(hub: Hub, frame: Frame, target: { transactionId: string; provider: string }) {
  const { rows } = await hub.outbox.list({ transactionId: target.transactionId, provider: target.provider, limit: 1 });
  const row = rows[0];
  return (
    <Page title="Replay a dead outbox row" section="outbox" frame={frame}>
      {row === undefined || row.status !== "dead" ? (
        <p class="problem" role="alert">
          {row === undefined ? `No outbox row for transaction ${target.transactionId} and provider ${target.provider}.` : `That row is ${row.status}, not dead: there is nothing to replay.`}
        </p>
      ) : (
        <section class="panel">
          <p>{`Send usage ${row.transactionId} of customer ${row.customerId} to ${row.provider} again? It failed ${row.attempts} times; the last error was:`}</p>
          <p class="err mono">{row.lastError ?? "—"}</p>
          <p class="muted">The provider deduplicates by transaction id, so a row it did receive is not counted twice.</p>
          <form method="post" action={href("/outbox/replay")} class="stack">
            <input type="hidden" name="csrf" value={frame.csrf} />
            <input type="hidden" name="transactionId" value={row.transactionId} />
            <input type="hidden" name="provider" value={row.provider} />
            <div>
              <button class="danger" type="submit">
                Replay this row
              </button>{" "}
              <a href={href("/outbox", { status: "dead" })}>Cancel</a>
            </div>
          </form>
        </section>
      )}
    </Page>
  );
}

/** A replay that found nothing to do says why, instead of a silent success. */
export function replayProblem(result: ReplayResult): string | undefined {
  if (result.replayed > 0) return undefined;
  const notDead = result.notDead[0];
  if (notDead !== undefined) return `That row is ${notDead.status}, not dead: nothing was replayed.`;
  if (result.heldBack > 0) return "The row was held back: an earlier send may have reached the provider longer ago than its dedupe window covers. Check it at the provider first.";
  return "No dead row matched: nothing was replayed.";
}

/** The confirmation a bulk replay asks for: how many dead rows the provider has, and the button. */
export async function replayDeadConfirmPage(hub: Hub, frame: Frame, provider: string) {
  const status = await hub.outbox.status();
  const dead = status.providers.find((counts) => counts.provider === provider)?.dead ?? 0;
  return (
    <Page title={`Replay every dead row of ${provider}`} section="outbox" frame={frame}>
      {dead === 0 ? (
        <p class="problem" role="alert">{`${provider} has no dead outbox rows: there is nothing to replay.`}</p>
      ) : (
        <section class="panel">
          <p>{`Make all ${dead} dead rows of ${provider} pending again? Fix what made them fail first (the last error of each is on the outbox page).`}</p>
          <p class="muted">Rows whose earlier send may have reached the provider longer ago than its dedupe window covers are held back, to be checked at the provider and replayed one by one.</p>
          <form method="post" action={href("/outbox/replay-dead")} class="stack">
            <input type="hidden" name="csrf" value={frame.csrf} />
            <input type="hidden" name="provider" value={provider} />
            <div>
              <button class="danger" type="submit">
                {`Replay ${dead} dead rows`}
              </button>{" "}
              <a href={href("/outbox", { status: "dead", provider })}>Cancel</a>
            </div>
          </form>
        </section>
      )}
    </Page>
  );
}
