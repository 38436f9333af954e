import type { FeatureEntitlement } from "../../../hub/entitlement-resolver.ts";
import { formatCount, formatTime } from "../format.ts";

export interface FeatureUsage {
  key: string;
  name: string;
  entitlement: FeatureEntitlement;
  /** Usage in the current reset window (exact decimal), for granted metered features. */
  used: string | null;
}

function describe(feature: FeatureUsage): string {
  const { entitlement: e, used } = feature;
  if (!e.granted) return "Not granted";
  if (e.type === "boolean") return "Granted";
  if (e.type === "static") return e.unlimited ? "Unlimited" : `Limit ${formatCount(e.exactLimit!)}`;
  const usedText = formatCount(used ?? "0");
  return e.unlimited ? `${usedText} used, unlimited` : `${usedText} of ${formatCount(e.exactLimit!)} used`;
}

/**
 * Each feature with what the customer may use: a bar of usage against the limit for limited
 * metered features (a <meter>, which assistive technology reads as a value in a range), the
 * exact numbers beside it, and when the window resets.
 */
export function EntitlementBars(props: { features: readonly FeatureUsage[] }) {
  return (
    <div>
      {props.features.map((feature) => {
        const { entitlement: e, used } = feature;
        const label = `${feature.name}: ${describe(feature)}`;
        const bar = e.type === "metered" && e.granted && !e.unlimited && e.limit !== null;
        return (
          <div class="bar" data-feature={feature.key} data-used={used ?? undefined} data-limit={e.exactLimit ?? undefined} data-granted={String(e.granted)}>
            <span>{feature.name}</span>
            {bar ? (
              <meter min={0} max={Math.max(e.limit!, 0)} value={Math.min(Number(used ?? "0"), Math.max(e.limit!, 0))} aria-label={label}>
                {describe(feature)}
              </meter>
            ) : (
              <span>{describe(feature)}</span>
            )}
            <span class="detail">
              {bar ? describe(feature) : ""}
              {e.resetsAt === null ? "" : `${bar ? "; " : ""}resets ${formatTime(e.resetsAt)}`}
              {e.source === "plan" ? "" : ` (${String(e.source)})`}
            </span>
          </div>
        );
      })}
    </div>
  );
}
