import type { Child } from "hono/jsx";
import { ASSET_VERSION } from "./assets.ts";
import type { Session } from "./session.ts";

export const BASE = "/dashboard";

/** Where a page of the dashboard lives, with its query (empty values left out). */
export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  const text = params.toString();
  return `${path === "/" ? BASE : `${BASE}${path}`}${text === "" ? "" : `?${text}`}`;
}

const SECTIONS = [
  ["overview", "Overview", "/"],
  ["customers", "Customers", "/customers"],
  ["invoices", "Invoices", "/invoices"],
  ["outbox", "Outbox", "/outbox"],
  ["webhooks", "Webhooks", "/webhooks"],
] as const;

export type Section = (typeof SECTIONS)[number][0];

/** What every signed-in page needs to draw its frame. */
export interface Frame {
  session: Session;
  csrf: string;
}

function Head(props: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>{`${props.title} · billhub`}</title>
      <link rel="stylesheet" href={`${BASE}/assets/uplot.css?v=${ASSET_VERSION}`} />
      <link rel="stylesheet" href={`${BASE}/assets/dashboard.css?v=${ASSET_VERSION}`} />
    </head>
  );
}

/** A signed-in page: navigation, who is signed in (read or write access), sign-out, the content. */
export function Page(props: { title: string; section: Section | null; frame: Frame; children?: Child }) {
  const { session, csrf } = props.frame;
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href={href("/")}>
            billhub
          </a>
          <nav class="main" aria-label="Sections">
            <ul>
              {SECTIONS.map(([id, label, path]) => (
                <li>
                  <a href={href(path)} aria-current={props.section === id ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span data-access={session.access}>{session.access === "write" ? "Signed in with a write key" : "Signed in with a read key"}</span>
            <form method="post" action={href("/sign-out")}>
              <input type="hidden" name="csrf" value={csrf} />
              <button type="submit">Sign out</button>
            </form>
          </div>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
        <script src={`${BASE}/assets/uplot.js?v=${ASSET_VERSION}`}></script>
        <script src={`${BASE}/assets/dashboard.js?v=${ASSET_VERSION}`}></script>
      </body>
    </html>
  );
}

/** A page outside a session: sign-in, and errors met before one. */
export function BarePage(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}
