import type { Hub } from "../../../hub.ts";
import { Card, Chart } from "../components.tsx";
import { formatCount, formatTime } from "../format.ts";
import { href, Page, type Frame } from "../layout.tsx";
import { OutboxSummary } from "./outbox-summary.tsx";
import { WebhookTable } from "./webhook-table.tsx";

const RECENT_FAILURES = 10;

/** What an operator looks at first: usage today and per hour, the outbox, webhook failures, the last invoice run. */
export async function overviewPage(hub: Hub, frame: Frame) {
  const [activity, outbox, failures] = await Promise.all([hub.activity({ hours: 24 }), hub.outbox.status(), hub.webhooks.events({ outcome: "failed", limit: RECENT_FAILURES })]);
  const currentHour = activity.hours.at(-1);
  const thisHour = currentHour !== undefined && activity.at.getTime() - currentHour.hour.getTime() < 3_600_000 ? currentHour.events : "0";
  const run = activity.lastInvoiceRun;
  const end = Math.floor(activity.at.getTime() / 3_600_000) * 3_600_000 + 3_600_000;
  const window = { from: new Date(end - 24 * 3_600_000), to: new Date(end) };
  return (
    <Page title="Overview" section="overview" frame={frame}>
      <div class="cards">
        <Card name="events-today" label="Usage events today (UTC)" value={formatCount(activity.today.events)} />
        <Card name="customers-today" label="Customers with usage today" value={formatCount(activity.today.customers)} />
        <Card name="events-this-hour" label="Usage events this hour" value={formatCount(thisHour)} />
        <Card name="outbox-dead" label="Dead outbox rows" value={formatCount(outbox.totals.dead)} />
        <Card name="webhook-failures" label="Recent webhook failures" value={failures.length >= RECENT_FAILURES ? `${RECENT_FAILURES}+` : String(failures.length)} />
        <Card name="last-invoice-run" label="Last invoice run" value={run === null ? "None yet" : run.period}>
          {run === null ? null : (
            <div class="muted">
              <a href={href("/invoices", { period: run.period })}>{`${formatCount(run.invoices)} invoices`}</a>
              {`, numbers ${run.firstNumber}–${run.lastNumber}, last written ${formatTime(run.at)}`}
            </div>
          )}
        </Card>
      </div>
      <div class="grid2">
        <section class="panel">
          <Chart id="chart-events" caption="Usage events per hour, last 24 hours" series="events" unit="Events" window={window} points={activity.hours.map((h) => ({ at: h.hour, value: h.events }))} />
        </section>
        <section class="panel">
          <Chart id="chart-customers" caption="Customers with usage per hour, last 24 hours" series="customers" unit="Customers" window={window} points={activity.hours.map((h) => ({ at: h.hour, value: String(h.customers) }))} />
        </section>
      </div>
      <section class="panel" aria-labelledby="outbox-heading">
        <h2 id="outbox-heading">Outbox</h2>
        <OutboxSummary providers={outbox.providers} />
      </section>
      <section class="panel" aria-labelledby="failures-heading">
        <h2 id="failures-heading">Webhook failures</h2>
        {failures.length === 0 ? <p class="muted">No failed webhook deliveries.</p> : <WebhookTable events={failures} label="Recent failed webhook deliveries" />}
        <p>
          <a href={href("/webhooks", { outcome: "failed" })}>All failed deliveries</a>
        </p>
      </section>
    </Page>
  );
}
