import type { WebhookEventRecord } from "../../../store/webhooks/webhook-log.ts";
import { formatTime } from "../format.ts";

/** The webhook log's rows: when, who, what, and how it ended. */
export function WebhookTable(props: { events: readonly WebhookEventRecord[]; label: string }) {
  return (
    <div class="scroll">
      <table aria-label={props.label}>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Provider</th>
            <th scope="col">Event</th>
            <th scope="col">Type</th>
            <th scope="col">Object</th>
            <th scope="col">Outcome</th>
            <th scope="col" class="num">Attempts</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((event) => (
            <tr data-event-id={event.eventId} data-outcome={event.outcome}>
              <td>{formatTime(event.receivedAt)}</td>
              <td>{event.provider}</td>
              <td class="mono">{event.eventId}</td>
              <td>{event.eventType}</td>
              <td class="mono">{event.objectType === null ? "—" : `${event.objectType} ${event.objectId ?? ""}`}</td>
              <td>{event.outcome}</td>
              <td class="num">{String(event.attempts)}</td>
              <td class="err">{event.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
