const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * `start_timestamp` has a lower bound: `ge=MIN_DATETIME`, 2023-01-01 (`server/polar/meter/endpoints.py`
 * and `server/polar/kit/time_queries.py` of polarsource/polar).
 */
const POLAR_EARLIEST_MS = Date.UTC(2023, 0, 1);

/**
 * The longest span one request may ask for per interval: `is_under_limits` refuses (422) when the
 * end's date minus the start's date exceeds `MAX_INTERVAL_DAYS` (hour 7, day 366;
 * `server/polar/kit/time_queries.py`).
 */
const MAX_SPAN_MS = { hour: 7 * DAY_MS, day: 366 * DAY_MS } as const;

/** One request to `GET /v1/meters/{id}/quantities`: the UTC buckets of `interval` from `start` up to `end` (exclusive). */
export interface PolarQuantityWindow {
  interval: "hour" | "day";
  start: Date;
  end: Date;
}

/**
 * Splits a half-open window into requests whose buckets tile it exactly, or says why none can.
 *
 * Polar does not cut at the timestamps it is given: it generates the series `start_timestamp`,
 * `start_timestamp + interval`, … up to and including `end_timestamp` (Postgres `generate_series`),
 * and counts every event whose `date_trunc(interval, timestamp)` equals a point's
 * `date_trunc(interval, …)` (`MeterService.get_quantities` in `server/polar/meter/service.py` and
 * `get_timestamp_series_cte` in `server/polar/kit/time_queries.py` of polarsource/polar). So a
 * window counts whole buckets, and an `end_timestamp` exactly on a bucket's start counts that whole
 * bucket too. A window is therefore exact only when both ends lie on bucket starts, and the last
 * instant asked for must be one before the end (see `lastInstant`). The finest interval is an hour:
 * a window that starts or ends inside an hour cannot be totalled exactly. Days are asked for as days
 * (up to 366 per request), the hours before the first and after the last midnight as hours.
 *
 * @example
 * polarQuantityWindows(new Date("2026-10-01T00:00Z"), new Date("2026-11-01T00:00Z"))
 * // [{ interval: "day", start: 2026-10-01T00:00Z, end: 2026-11-01T00:00Z }]
 * polarQuantityWindows(new Date("2026-10-01T10:00Z"), new Date("2026-10-03T00:00Z"))
 * // [{ interval: "hour", start: 2026-10-01T10:00Z, end: 2026-10-02T00:00Z }, { interval: "day", start: 2026-10-02T00:00Z, end: 2026-10-03T00:00Z }]
 * polarQuantityWindows(new Date("2026-10-01T10:30Z"), new Date("2026-10-02T00:00Z")) // "… does not start on a whole hour …"
 */
export function polarQuantityWindows(from: Date, to: Date): PolarQuantityWindow[] | string {
  const [start, end] = [from.getTime(), to.getTime()];
  if (start < POLAR_EARLIEST_MS) return `Polar answers meter quantities from 2023-01-01 on (start_timestamp's lower bound), and the window starts at ${from.toISOString()}`;
  const offHour = [start % HOUR_MS !== 0 ? `start (${from.toISOString()})` : "", end % HOUR_MS !== 0 ? `end (${to.toISOString()})` : ""].filter(Boolean);
  if (offHour.length > 0) {
    return `Polar totals meter quantities in whole UTC hours at the finest (every event in the hour a window's start or end falls in counts), and the window's ${offHour.join(" and ")} is not on a whole hour; reconcile a window of whole hours`;
  }
  const firstMidnight = Math.ceil(start / DAY_MS) * DAY_MS;
  const lastMidnight = Math.floor(end / DAY_MS) * DAY_MS;
  if (firstMidnight >= lastMidnight) return split("hour", start, end);
  return [...split("hour", start, firstMidnight), ...split("day", firstMidnight, lastMidnight), ...split("hour", lastMidnight, end)];
}

function split(interval: "hour" | "day", start: number, end: number): PolarQuantityWindow[] {
  const windows: PolarQuantityWindow[] = [];
  for (let at = start; at < end; at += MAX_SPAN_MS[interval]) windows.push({ interval, start: new Date(at), end: new Date(Math.min(at + MAX_SPAN_MS[interval], end)) });
  return windows;
}

/**
 * The `end_timestamp` that asks for every bucket before `end` and none from it: one millisecond
 * before. Polar's series includes `end_timestamp` itself, so `end` would add the bucket it starts.
 * Unverified: that Polar keeps the millisecond (its `AwareDatetime` query parameter parses ISO 8601
 * fractions; no live call was made), which matters only if it truncated to `…:59:59`, still inside
 * the last bucket.
 *
 * @example
 * lastInstant(new Date("2026-11-01T00:00Z")).toISOString() // "2026-10-31T23:59:59.999Z"
 */
export function lastInstant(end: Date): Date {
  return new Date(end.getTime() - 1);
}
