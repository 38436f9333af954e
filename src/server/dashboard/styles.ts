/**
 * The dashboard's stylesheet, kept in a module (not a .css file) so it ships with the compiled
 * package whatever copies or skips non-TypeScript files. Served at /dashboard/assets/dashboard.css.
 * One column at phone widths; wide tables scroll inside their own box.
 */
export const DASHBOARD_CSS = `
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #1d4ed8; --bad: #b42318; --ok: #067647; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: #102a43; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; text-decoration: none; }
nav.main ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
nav.main a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header.top .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; }
header.top button { background: transparent; color: #fff; border: 1px solid #9fb3c8; border-radius: 4px; padding: .2rem .6rem; cursor: pointer; font: inherit; }
main { max-width: 1240px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
section.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: .75rem; margin-bottom: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.card .label { color: var(--muted); font-size: .85rem; }
.card .value { font-size: 1.5rem; font-weight: 650; overflow-wrap: anywhere; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.err { color: var(--bad); max-width: 28rem; overflow-wrap: anywhere; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; overflow-wrap: anywhere; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin-bottom: .75rem; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
input, select { font: inherit; padding: .3rem .45rem; border: 1px solid #9aa5b1; border-radius: 4px; min-width: 0; max-width: 100%; }
button.primary, .button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: .4rem .9rem; cursor: pointer; text-decoration: none; display: inline-block; }
button.danger { font: inherit; background: var(--bad); color: #fff; border: 0; border-radius: 4px; padding: .4rem .9rem; cursor: pointer; }
.notice { border-left: 4px solid var(--ok); background: #ecfdf3; padding: .5rem .75rem; margin-bottom: 1rem; }
.problem { border-left: 4px solid var(--bad); background: #fef3f2; padding: .5rem .75rem; margin-bottom: 1rem; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.pager { display: flex; gap: 1rem; margin-top: .5rem; }
.bar { display: grid; grid-template-columns: minmax(7rem, 12rem) 1fr; gap: .25rem .75rem; align-items: center; padding: .35rem 0; border-bottom: 1px solid var(--line); }
.bar meter { width: 100%; height: 1.1rem; }
.bar .detail { grid-column: 2; font-size: .85rem; color: var(--muted); }
figure.chart { margin: 0 0 1rem; }
figure.chart figcaption { font-weight: 600; margin-bottom: .25rem; }
.chart-canvas { width: 100%; min-height: 0; }
details > summary { cursor: pointer; color: var(--accent); margin: .25rem 0; }
.signin { max-width: 26rem; margin: 3rem auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1.25rem; }
form.stack { display: flex; flex-direction: column; gap: .75rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  main { padding: .6rem; }
  header.top .who { margin-left: 0; }
  .bar { grid-template-columns: 1fr; }
  .bar .detail { grid-column: 1; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .35rem; }
}
`;
