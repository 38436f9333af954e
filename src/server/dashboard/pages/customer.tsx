import { z } from "zod";
import { BillingError } from "../../../core/errors.ts";
import type { Hub } from "../../../hub.ts";
import type { StatsGroupBy, WindowInput } from "../../../hub/ledger/types.ts";
import { Chart, Empty, Problem, Select } from "../components.tsx";
import { formatCount, formatMoney, formatTime } from "../format.ts";
import { href, Page, type Frame } from "../layout.tsx";
import { choice, parseQuery } from "../query.ts";
import { EntitlementBars, type FeatureUsage } from "./entitlement-bars.tsx";
import { PlanHistory } from "./plan-history.tsx";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RECENT_EVENTS = 20;

/** The usage chart's windows: hours of the last day, days of the last week or month, days of the billing period. */
const WINDOWS = ["24h", "7d", "30d", "period"] as const;
type ChartWindow = (typeof WINDOWS)[number];
const WINDOW_LABELS: Record<ChartWindow, string> = { "24h": "Last 24 hours, per hour", "7d": "Last 7 days, per day", "30d": "Last 30 days, per day", period: "Billing period, per day" };

function chartWindow(choice: ChartWindow, now: Date): { window: WindowInput; groupBy: StatsGroupBy } {
  if (choice === "period") return { window: "billing_period", groupBy: "day" };
  if (choice === "24h") {
    const end = Math.floor(now.getTime() / HOUR) * HOUR + HOUR;
    return { window: { from: new Date(end - DAY), to: new Date(end) }, groupBy: "hour" };
  }
  const days = choice === "7d" ? 7 : 30;
  const end = Math.floor(now.getTime() / DAY) * DAY + DAY;
  return { window: { from: new Date(end - days * DAY), to: new Date(end) }, groupBy: "day" };
}

const querySchema = z.strictObject({ window: choice(WINDOWS, "the chart's window").optional() });

/** A BillingError's message as the page shows it in place of a part that could not be read. */
async function orProblem<T>(read: Promise<T>): Promise<T | BillingError> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof BillingError && error.status < 500) return error;
    throw error;
  }
}

/**
 * One customer: plan and plan history, entitlements with usage against limits, usage charts per meter, limit
 * adjustments, the invoice the current period would bring, and recent events. Every number comes
 * from the hub's own reads (usage and stats from the rollups).
 */
export async function customerPage(hub: Hub, frame: Frame, customerId: string, rawQuery: Record<string, string>) {
  const query = parseQuery(querySchema, rawQuery);
  const selected: ChartWindow = query.window ?? "7d";
  const customer = await hub.customers.get(customerId);
  const { window, groupBy } = chartWindow(selected, hub.now());
  const meters = Object.values(hub.catalog.meters);
  const [entitlements, adjustments, subscriptions, events, preview, stats, planChanges] = await Promise.all([
    hub.entitlements(customer.id),
    hub.customers.listAdjustments(customer.id),
    hub.customers.subscriptions(customer.id),
    hub.ledger.events({ customerId: customer.id, limit: RECENT_EVENTS }),
    orProblem(hub.invoices.preview(customer.id)),
    Promise.all(meters.map((meter) => hub.ledger.stats({ customerId: customer.id, meter: meter.key, groupBy, window }))),
    hub.customers.planHistory(customer.id),
  ]);
  // One feature after another: each is one rollup read, and a page asks for a handful.
  const usage: FeatureUsage[] = [];
  for (const [key, entitlement] of Object.entries(entitlements.features)) {
    const feature = hub.catalog.features[key]!;
    const used = feature.type === "metered" && entitlement.granted ? (await hub.usage({ customerId: customer.id, feature: key })).value : null;
    usage.push({ key, name: feature.name ?? key, entitlement, used });
  }
  const base = `/customers/${encodeURIComponent(customer.id)}`;
  return (
    <Page title={customer.name === null ? `Customer ${customer.id}` : `${customer.name} (${customer.id})`} section="customers" frame={frame}>
      <section class="panel" aria-labelledby="plan-heading">
        <h2 id="plan-heading">Plan</h2>
        <dl class="facts">
          <dt>Customer id</dt>
          <dd class="mono" data-field="customer-id">
            {customer.id}
          </dd>
          <dt>Plan</dt>
          <dd data-field="plan">{`${customer.plan}${customer.variant === null ? "" : ` (variant ${customer.variant})`}${customer.onDefaultPlan ? " — the catalog's default" : ""}`}</dd>
          <dt>Email</dt>
          <dd>{customer.email ?? "—"}</dd>
          <dt>Billing period</dt>
          <dd>{customer.periodStart === null ? "Calendar months" : `${formatTime(customer.periodStart)} to ${formatTime(customer.periodEnd)}`}</dd>
          <dt>Provider ids</dt>
          <dd class="mono">{Object.keys(customer.providerIds).length === 0 ? "—" : Object.entries(customer.providerIds).map(([provider, id]) => `${provider}: ${id}`).join(", ")}</dd>
          <dt>Subscriptions</dt>
          <dd>
            {subscriptions.length === 0
              ? "None synced"
              : subscriptions.map((s) => `${s.provider} ${s.subscriptionId}: ${s.status}${s.planKey === null ? "" : ` → ${s.planKey}`}`).join("; ")}
          </dd>
        </dl>
        <h3>Plan history</h3>
        <PlanHistory changes={planChanges} />
      </section>

      <section class="panel" aria-labelledby="entitlements-heading">
        <h2 id="entitlements-heading">Entitlements</h2>
        <EntitlementBars features={usage} />
      </section>

      <section class="panel" aria-labelledby="usage-heading">
        <h2 id="usage-heading">Usage per meter</h2>
        <form class="filters" method="get" action={href(base)}>
          <Select label="Window" name="window" options={WINDOWS} selected={selected} labels={WINDOW_LABELS} />
          <button class="primary" type="submit">
            Show
          </button>
        </form>
        <div class="grid2">
          {stats.map((s) => (
            <div data-meter={s.meter} data-total={s.total}>
              <Chart
                id={`chart-meter-${meters.findIndex((m) => m.key === s.meter)}`}
                caption={`${s.meter}: ${WINDOW_LABELS[selected].toLowerCase()}`}
                series={s.meter}
                unit={`Usage (${s.aggregation})`}
                window={s.window}
                points={s.buckets.filter((b) => b.value !== "0").map((b) => ({ at: b.from, value: b.value }))}
              />
              <p class="muted">{`Total ${formatCount(s.total)} from ${formatTime(s.window.from)} to ${formatTime(s.window.to)}`}</p>
            </div>
          ))}
        </div>
      </section>

      <section class="panel" aria-labelledby="adjustments-heading">
        <h2 id="adjustments-heading">Limit adjustments and credits</h2>
        {adjustments.length === 0 ? (
          <Empty>No active limit adjustments.</Empty>
        ) : (
          <div class="scroll">
            <table aria-label="Active limit adjustments">
              <thead>
                <tr>
                  <th scope="col">Feature</th>
                  <th scope="col" class="num">Amount</th>
                  <th scope="col">Recurs</th>
                  <th scope="col">From</th>
                  <th scope="col">Until</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {adjustments.map((a) => (
                  <tr>
                    <td>{a.feature}</td>
                    <td class="num">{a.amount}</td>
                    <td>{String(a.recurrence)}</td>
                    <td>{formatTime(a.startsAt)}</td>
                    <td>{a.endsAt === null ? "No end" : formatTime(a.endsAt)}</td>
                    <td>{a.reason ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="panel" aria-labelledby="preview-heading">
        <h2 id="preview-heading">Invoice preview, current period</h2>
        {preview instanceof BillingError ? (
          <Problem>{`${preview.code}: ${preview.message}`}</Problem>
        ) : (
          <>
            <p class="muted">{`${preview.plan}, ${formatTime(preview.period.from)} to ${formatTime(preview.period.to)} (nothing is stored)`}</p>
            <div class="scroll">
              <table aria-label="Invoice preview lines" data-subtotal={String(preview.subtotal)}>
                <thead>
                  <tr>
                    <th scope="col" class="num">#</th>
                    <th scope="col">Line</th>
                    <th scope="col" class="num">Quantity</th>
                    <th scope="col" class="num">Amount</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.lineItems.map((line) => (
                    <tr data-charge={line.chargeKey} data-amount={String(line.amount)}>
                      <td class="num">{String(line.lineNumber)}</td>
                      <td>{line.description}</td>
                      <td class="num">{formatCount(line.quantity)}</td>
                      <td class="num">{formatMoney(line.amount, preview.currency)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row" colspan={3}>
                      Subtotal
                    </th>
                    <td class="num">{formatMoney(preview.subtotal, preview.currency)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </>
        )}
        <p>
          <a href={href("/invoices", { customer: customer.id })}>Stored invoices of this customer</a>
        </p>
      </section>

      <section class="panel" aria-labelledby="events-heading">
        <h2 id="events-heading">Recent events</h2>
        {events.events.length === 0 ? (
          <Empty>No events recorded.</Empty>
        ) : (
          <div class="scroll">
            <table aria-label="Recent events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Meter</th>
                  <th scope="col">Kind</th>
                  <th scope="col" class="num">Quantity</th>
                  <th scope="col">Transaction</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {events.events.map((event) => (
                  <tr data-transaction-id={event.transactionId}>
                    <td>{formatTime(event.timestamp)}</td>
                    <td>{event.meter}</td>
                    <td>{event.kind}</td>
                    <td class="num">{event.quantity}</td>
                    <td class="mono">{event.transactionId}</td>
                    <td>{event.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Page>
  );
}
