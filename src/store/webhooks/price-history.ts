/** A change to a price at the provider's time: its state from then on, or null when it was deleted. */
export interface PriceChange {
  at: Date;
  stateHash: string | null;
  source: string;
}

/** One state of a price during [from, to); `to` null while it is the current state. */
export interface HistorySpan {
  from: Date;
  to: Date | null;
  stateHash: string;
  source: string;
}

/**
 * A price's history from its changes, in whatever order they were learned: in time order, a state
 * holds until the next change and a deletion until the next state; a change to the state already
 * held continues its span, which keeps the source of the change that began it. The same set of
 * changes therefore gives the same history, whatever order it arrived in.
 *
 * @example
 * historyFromChanges([
 *   { at: t(20), stateHash: "a", source: "evt_3" },
 *   { at: t(0), stateHash: "a", source: "evt_1" },
 *   { at: t(10), stateHash: null, source: "evt_2" },
 * ]) // [{ from: t(0), to: t(10), stateHash: "a", source: "evt_1" }, { from: t(20), to: null, stateHash: "a", source: "evt_3" }]
 */
export function historyFromChanges(changes: readonly PriceChange[]): HistorySpan[] {
  const spans: HistorySpan[] = [];
  let open: HistorySpan | undefined;
  for (const change of [...changes].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    if (open?.stateHash === change.stateHash || (open === undefined && change.stateHash === null)) continue;
    if (open !== undefined) open.to = change.at;
    open = change.stateHash === null ? undefined : { from: change.at, to: null, stateHash: change.stateHash, source: change.source };
    if (open !== undefined) spans.push(open);
  }
  return spans;
}
