import type { Child } from "hono/jsx";
import { formatCount, formatTime } from "./format.ts";

export interface ChartPoint {
  /** The bucket's start. */
  at: Date;
  /** Exact decimal. */
  value: string;
}

/**
 * A small bar chart over time. The table is the chart's data (the script draws from its rows'
 * data-x and data-y) and its fallback for readers without script or sight; it stays one
 * disclosure away.
 */
export function Chart(props: { id: string; caption: string; series: string; points: readonly ChartPoint[]; unit?: string; window: { from: Date; to: Date } }) {
  const { id, points } = props;
  const seconds = (date: Date) => String(Math.floor(date.getTime() / 1000));
  return (
    <figure class="chart" id={id} data-series={props.series} data-from={seconds(props.window.from)} data-to={seconds(props.window.to)} aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>{props.caption}</figcaption>
      {points.length === 0 ? (
        <p class="muted">No usage in this window.</p>
      ) : (
        <>
          <div class="chart-canvas" aria-hidden="true"></div>
          <details>
            <summary>{`Table of ${props.caption.toLowerCase()}`}</summary>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">From</th>
                    <th scope="col" class="num">
                      {props.unit ?? props.series}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {points.map((point) => (
                    <tr data-x={seconds(point.at)} data-y={point.value}>
                      <td>{formatTime(point.at)}</td>
                      <td class="num">{formatCount(point.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </figure>
  );
}

/** A labelled figure: "Usage events today 1,204". */
export function Card(props: { label: string; value: string; name: string; children?: Child }) {
  return (
    <div class="card" data-metric={props.name}>
      <div class="label" id={`metric-${props.name}`}>
        {props.label}
      </div>
      <div class="value" aria-labelledby={`metric-${props.name}`}>
        {props.value}
      </div>
      {props.children}
    </div>
  );
}

export function Notice(props: { children?: Child }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

export function Problem(props: { children?: Child }) {
  return (
    <p class="problem" role="alert">
      {props.children}
    </p>
  );
}

/** Keyset paging: back to the first page, on to the next (when there is one). */
export function Pager(props: { first: string; next: string | null; label: string }) {
  return (
    <nav class="pager" aria-label={props.label}>
      <a href={props.first}>First page</a>
      {props.next === null ? <span class="muted">Last page</span> : <a href={props.next}>Next page</a>}
    </nav>
  );
}

export function Empty(props: { children?: Child }) {
  return <p class="muted">{props.children}</p>;
}

/** A labelled select of a filter form; `any` puts first an empty option, which filters nothing. */
export function Select(props: { label: string; name: string; options: readonly string[]; selected: string | undefined; any?: boolean; labels?: Readonly<Record<string, string>> }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        {props.any === true ? <option value="">Any</option> : null}
        {props.options.map((value) => (
          <option value={value} selected={value === props.selected}>
            {props.labels?.[value] ?? value}
          </option>
        ))}
      </select>
    </label>
  );
}
