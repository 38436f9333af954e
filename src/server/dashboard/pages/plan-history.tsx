import type { PlanChange } from "../../../hub/customers.ts";
import { Empty } from "../components.tsx";
import { formatTime } from "../format.ts";

/** Every plan the customer held, oldest first: what each invoice part was priced on. */
export function PlanHistory(props: { changes: readonly PlanChange[] }) {
  if (props.changes.length === 0) return <Empty>No plan changes recorded.</Empty>;
  return (
    <div class="scroll">
      <table aria-label="Plan history" data-table="plan-history">
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">Plan</th>
            <th scope="col">Changed by</th>
            <th scope="col">Reference</th>
          </tr>
        </thead>
        <tbody>
          {props.changes.map((change) => (
            <tr data-plan={change.plan}>
              <td>{change.effectiveAt === null ? "The beginning" : formatTime(change.effectiveAt)}</td>
              <td>{`${change.plan}${change.variant === null ? "" : ` (variant ${change.variant})`}${change.onDefaultPlan ? " — the catalog's default" : ""}`}</td>
              <td>{change.source}</td>
              <td class="mono">{change.reference ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
