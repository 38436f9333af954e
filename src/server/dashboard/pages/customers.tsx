import { z } from "zod";
import type { Hub } from "../../../hub.ts";
import { Empty, Pager } from "../components.tsx";
import { formatTime } from "../format.ts";
import { href, Page, type Frame } from "../layout.tsx";
import { parseQuery, text } from "../query.ts";

const PAGE_SIZE = 50;

const querySchema = z.strictObject({ q: text(200).optional(), after: text(255).optional() });

/** Customers in id order, searchable by id, email or name, a page at a time. */
export async function customersPage(hub: Hub, frame: Frame, rawQuery: Record<string, string>) {
  const query = parseQuery(querySchema, rawQuery);
  const { customers, nextCursor } = await hub.customers.list({
    limit: PAGE_SIZE,
    ...(query.q === undefined ? {} : { search: query.q }),
    ...(query.after === undefined ? {} : { cursor: query.after }),
  });
  return (
    <Page title="Customers" section="customers" frame={frame}>
      <form class="filters" method="get" action={href("/customers")} role="search">
        <label>
          Search by id, email or name
          <input type="search" name="q" value={query.q ?? ""} maxlength={200} />
        </label>
        <button class="primary" type="submit">
          Search
        </button>
      </form>
      {customers.length === 0 ? (
        <Empty>{query.q === undefined ? "No customers yet." : "No customer matches that search."}</Empty>
      ) : (
        <div class="scroll">
          <table aria-label="Customers">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Plan</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {customers.map((customer) => (
                <tr data-customer-id={customer.id}>
                  <td class="mono">
                    <a href={href(`/customers/${encodeURIComponent(customer.id)}`)}>{customer.id}</a>
                  </td>
                  <td>{customer.name ?? "—"}</td>
                  <td>{customer.email ?? "—"}</td>
                  <td>{customer.variant === null ? customer.plan : `${customer.plan} (${customer.variant})`}</td>
                  <td>{formatTime(customer.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="Customer pages" first={href("/customers", { q: query.q })} next={nextCursor === null ? null : href("/customers", { q: query.q, after: nextCursor })} />
    </Page>
  );
}
