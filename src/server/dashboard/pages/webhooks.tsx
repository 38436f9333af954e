import { z } from "zod";
import type { Hub } from "../../../hub.ts";
import { WEBHOOK_OUTCOMES } from "../../../store/webhooks/webhook-log.ts";
import { Empty, Select } from "../components.tsx";
import { formatTime } from "../format.ts";
import { href, Page, type Frame } from "../layout.tsx";
import { choice, parseQuery, text } from "../query.ts";
import { WebhookTable } from "./webhook-table.tsx";

const LIMITS = ["50", "200", "1000"] as const;
const PRICE_ROWS = 200;

const querySchema = z.strictObject({
  provider: text(64).optional(),
  outcome: choice(WEBHOOK_OUTCOMES, "a webhook outcome").optional(),
  limit: choice(LIMITS, "rows to show").optional(),
  lookupKey: text(200).optional(),
});

/** The webhook delivery log with filters, and the price versions synced from providers per lookup key. */
export async function webhooksPage(hub: Hub, frame: Frame, rawQuery: Record<string, string>) {
  const query = parseQuery(querySchema, rawQuery);
  const providers = [...hub.providers.providers.keys()];
  const [events, prices] = await Promise.all([
    hub.webhooks.events({
      limit: Number(query.limit ?? "50"),
      ...(query.provider === undefined ? {} : { provider: query.provider }),
      ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
    }),
    hub.prices.history(query.lookupKey === undefined ? {} : { lookupKey: query.lookupKey }),
  ]);
  const shownPrices = prices.slice(-PRICE_ROWS).reverse();
  return (
    <Page title="Webhooks" section="webhooks" frame={frame}>
      <form class="filters" method="get" action={href("/webhooks")}>
        <Select label="Provider" name="provider" options={providers} selected={query.provider} any />
        <Select label="Outcome" name="outcome" options={WEBHOOK_OUTCOMES} selected={query.outcome} any />
        <Select label="Rows" name="limit" options={LIMITS} selected={query.limit ?? "50"} />
        <button class="primary" type="submit">
          Filter
        </button>
      </form>
      <section class="panel" aria-labelledby="log-heading">
        <h2 id="log-heading">Delivery log, newest first</h2>
        {events.length === 0 ? <Empty>No webhook deliveries match.</Empty> : <WebhookTable events={events} label="Webhook deliveries" />}
      </section>
      <section class="panel" aria-labelledby="prices-heading">
        <h2 id="prices-heading">Synced price history</h2>
        <form class="filters" method="get" action={href("/webhooks")}>
          <label>
            Lookup key
            <input type="text" name="lookupKey" value={query.lookupKey ?? ""} maxlength={200} />
          </label>
          <button class="primary" type="submit">
            Show versions
          </button>
        </form>
        {shownPrices.length === 0 ? (
          <Empty>{query.lookupKey === undefined ? "No prices synced from providers yet." : "No synced price has that lookup key."}</Empty>
        ) : (
          <div class="scroll">
            <table aria-label="Synced price versions">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Price</th>
                  <th scope="col">Lookup key</th>
                  <th scope="col">Valid from</th>
                  <th scope="col">Valid to</th>
                  <th scope="col">Currency</th>
                  <th scope="col">Active</th>
                  <th scope="col">Prices usage</th>
                </tr>
              </thead>
              <tbody>
                {shownPrices.map((price) => (
                  <tr data-price-id={price.priceId}>
                    <td>{price.provider}</td>
                    <td class="mono">{price.priceId}</td>
                    <td class="mono">{price.lookupKey ?? "—"}</td>
                    <td>{formatTime(price.validFrom)}</td>
                    <td>{price.validTo === null ? "current" : formatTime(price.validTo)}</td>
                    <td>{price.currency}</td>
                    <td>{price.active ? "yes" : "no"}</td>
                    <td class={price.resolveError === null ? "" : "err"}>{price.resolveError ?? "yes"}</td>
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
