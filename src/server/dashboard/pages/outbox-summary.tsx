import type { ProviderOutboxCounts } from "../../../hub/outbox.ts";
import { formatAge, formatCount } from "../format.ts";
import { href } from "../layout.tsx";

/** Rows a forwarder will retry later: pending, not due yet, not held by a forwarder now. */
export function waitingToRetry(counts: ProviderOutboxCounts): number {
  return Math.max(0, counts.pending - counts.due - counts.inFlight);
}

/** Per provider: pending (due now, in flight, waiting to retry), dead and delivered rows. */
export function OutboxSummary(props: { providers: readonly ProviderOutboxCounts[] }) {
  if (props.providers.length === 0) return <p class="muted">The outbox is empty: no usage has been queued for a provider yet.</p>;
  return (
    <div class="scroll">
      <table aria-label="Outbox rows per provider">
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col" class="num">Pending</th>
            <th scope="col" class="num">Due now</th>
            <th scope="col" class="num">In flight</th>
            <th scope="col" class="num">Waiting to retry</th>
            <th scope="col" class="num">Dead</th>
            <th scope="col" class="num">Delivered</th>
            <th scope="col" class="num">Oldest pending</th>
          </tr>
        </thead>
        <tbody>
          {props.providers.map((counts) => (
            <tr data-provider={counts.provider}>
              <th scope="row">{counts.provider}</th>
              <td class="num" data-count="pending">
                {formatCount(counts.pending)}
              </td>
              <td class="num" data-count="due">
                {formatCount(counts.due)}
              </td>
              <td class="num" data-count="in-flight">
                {formatCount(counts.inFlight)}
              </td>
              <td class="num" data-count="retrying">
                {formatCount(waitingToRetry(counts))}
              </td>
              <td class="num" data-count="dead">
                {counts.dead > 0 ? <a href={href("/outbox", { status: "dead", provider: counts.provider })}>{formatCount(counts.dead)}</a> : "0"}
              </td>
              <td class="num" data-count="delivered">
                {formatCount(counts.delivered)}
              </td>
              <td class="num">{formatAge(counts.oldestPendingAgeSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
