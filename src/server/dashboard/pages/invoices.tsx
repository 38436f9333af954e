import { z } from "zod";
import type { Hub } from "../../../hub.ts";
import { Empty, Pager } from "../components.tsx";
import { formatCount, formatMoney, formatTime } from "../format.ts";
import { href, Page, type Frame } from "../layout.tsx";
import { parseQuery, required, runPeriod, text } from "../query.ts";

const PAGE_SIZE = 50;

const listSchema = z.strictObject({ period: runPeriod.optional(), customer: text(255).optional(), after: z.string().regex(/^[1-9]\d{0,15}$/, "must be a page link's invoice number").optional() });

/** Stored invoices by number, filtered by run period (month, year or ISO week) and customer, with the period's export. */
export async function invoicesPage(hub: Hub, frame: Frame, rawQuery: Record<string, string>) {
  const query = parseQuery(listSchema, rawQuery);
  const filter = { period: query.period, customer: query.customer };
  const { invoices, nextCursor } = await hub.invoices.list({
    limit: PAGE_SIZE,
    ...(query.period === undefined ? {} : { period: query.period }),
    ...(query.customer === undefined ? {} : { customerId: query.customer }),
    ...(query.after === undefined ? {} : { cursor: query.after }),
  });
  return (
    <Page title="Invoices" section="invoices" frame={frame}>
      <form class="filters" method="get" action={href("/invoices")}>
        <label>
          Billing period (YYYY-MM, YYYY or YYYY-Www)
          <input type="text" name="period" value={query.period ?? ""} placeholder="2026-10" pattern="\d{4}(-\d{2}|-W\d{2})?" maxlength={8} />
        </label>
        <label>
          Customer id
          <input type="text" name="customer" value={query.customer ?? ""} maxlength={255} />
        </label>
        <button class="primary" type="submit">
          Filter
        </button>
      </form>
      {query.period === undefined ? (
        <p class="muted">Choose a billing period to export its invoices.</p>
      ) : (
        <p>
          {`Export ${query.period}: `}
          <a href={href("/invoices/export", { period: query.period, format: "csv" })} download>
            CSV (one row per line item)
          </a>
          {" · "}
          <a href={href("/invoices/export", { period: query.period, format: "json" })} download>
            JSON
          </a>
        </p>
      )}
      {invoices.length === 0 ? (
        <Empty>No stored invoices match.</Empty>
      ) : (
        <div class="scroll">
          <table aria-label="Invoices">
            <thead>
              <tr>
                <th scope="col" class="num">Number</th>
                <th scope="col">Customer</th>
                <th scope="col">Month</th>
                <th scope="col">Plan</th>
                <th scope="col">Provider</th>
                <th scope="col" class="num">Lines</th>
                <th scope="col" class="num">Subtotal</th>
                <th scope="col">Written</th>
              </tr>
            </thead>
            <tbody>
              {invoices.map((invoice) => (
                <tr data-invoice-id={invoice.id} data-subtotal={String(invoice.subtotal)}>
                  <td class="num">
                    <a href={href(`/invoices/${encodeURIComponent(invoice.id)}`)}>{String(invoice.number)}</a>
                  </td>
                  <td class="mono">
                    <a href={href(`/customers/${encodeURIComponent(invoice.customerId)}`)}>{invoice.customerId}</a>
                  </td>
                  <td>{invoice.periodKey}</td>
                  <td>{invoice.plan}</td>
                  <td>{invoice.provider}</td>
                  <td class="num">{formatCount(invoice.lineCount)}</td>
                  <td class="num">{formatMoney(invoice.subtotal, invoice.currency)}</td>
                  <td>{formatTime(invoice.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="Invoice pages" first={href("/invoices", filter)} next={nextCursor === null ? null : href("/invoices", { ...filter, after: nextCursor })} />
    </Page>
  );
}

/** One stored invoice with its numbered lines. */
export async function invoicePage(hub: Hub, frame: Frame, id: string) {
  const invoice = await hub.invoices.get(id);
  return (
    <Page title={`Invoice ${invoice.number}`} section="invoices" frame={frame}>
      <section class="panel">
        <dl class="facts">
          <dt>Customer</dt>
          <dd class="mono">
            <a href={href(`/customers/${encodeURIComponent(invoice.customerId)}`)}>{invoice.customerId}</a>
          </dd>
          <dt>Billing period</dt>
          <dd>{invoice.periodKey}</dd>
          <dt>Window</dt>
          <dd>{`${formatTime(invoice.period.from)} to ${formatTime(invoice.period.to)}`}</dd>
          <dt>Plan</dt>
          <dd>{invoice.plan}</dd>
          <dt>Collected by</dt>
          <dd>{invoice.provider}</dd>
          <dt>Status</dt>
          <dd>{invoice.status}</dd>
          <dt>Written</dt>
          <dd>{formatTime(invoice.createdAt)}</dd>
          <dt>Id</dt>
          <dd class="mono">{invoice.id}</dd>
        </dl>
      </section>
      <section class="panel" aria-labelledby="lines-heading">
        <h2 id="lines-heading">Lines</h2>
        <div class="scroll">
          <table aria-label="Invoice lines" data-subtotal={String(invoice.subtotal)}>
            <thead>
              <tr>
                <th scope="col" class="num">#</th>
                <th scope="col">Line</th>
                <th scope="col">Meter</th>
                <th scope="col" class="num">Quantity</th>
                <th scope="col" class="num">Billable</th>
                <th scope="col" class="num">Amount</th>
              </tr>
            </thead>
            <tbody>
              {invoice.lineItems.map((line) => (
                <tr data-charge={line.chargeKey} data-amount={String(line.amount)}>
                  <td class="num">{String(line.lineNumber)}</td>
                  <td>{line.description}</td>
                  <td>{line.meter ?? "—"}</td>
                  <td class="num">{formatCount(line.quantity)}</td>
                  <td class="num">{formatCount(line.billableQuantity)}</td>
                  <td class="num">{formatMoney(line.amount, invoice.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colspan={5}>
                  Subtotal
                </th>
                <td class="num">{formatMoney(invoice.subtotal, invoice.currency)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </section>
      <p>
        <a href={href("/invoices", { period: invoice.periodKey })}>{`All invoices of ${invoice.periodKey}`}</a>
      </p>
    </Page>
  );
}

export const exportSchema = z.strictObject({
  period: required(runPeriod, "is required: the billing period to export, written YYYY-MM (a month), YYYY (a year) or YYYY-Www (an ISO week)"),
  format: z.enum(["csv", "json"], { error: "must be csv or json" }),
});
