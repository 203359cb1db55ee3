/** The console's one stylesheet. A module, not a .css file: it ships in dist/ and the image with no copy step. */
export const css = String.raw`
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --panel: #f6f8fa; --accent: #0550ae;
  --ok: #116329; --warn: #7d4e00; --bad: #a40e26; font-family: system-ui, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; line-height: 1.45; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
.top { display: flex; flex-wrap: wrap; gap: 4px 24px; align-items: center; padding: 8px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { margin: 0; font-weight: 700; } .brand a { color: var(--fg); text-decoration: none; }
nav ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
nav a[aria-current="page"] { font-weight: 700; color: var(--fg); text-decoration-thickness: 3px; }
.live { margin: 0 0 0 auto; color: var(--muted); font-size: .9em; }
.live.on::before { content: "● "; color: var(--ok); }
main { padding: 8px 24px 48px; max-width: 1280px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 12px; overflow: auto; max-height: 480px; white-space: pre-wrap; word-break: break-all; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: .85em; border: 1px solid currentColor; }
.badge.delivered { color: var(--ok); } .badge.pending { color: var(--warn); } .badge.dead { color: var(--bad); } .badge.none { color: var(--muted); }
.badge.paused, .badge.breaker { color: var(--bad); } .badge.running { color: var(--ok); }
.flash { padding: 8px 12px; border-radius: 4px; border: 1px solid; } .flash.ok { color: var(--ok); background: #dafbe1; } .flash.error { color: var(--bad); background: #ffebe9; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-end; margin-bottom: 16px; }
form.filters label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); }
button { cursor: pointer; background: var(--panel); } button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
form.inline { display: inline; } .signout { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
.card h3 { margin: 0 0 8px; font-size: 1.05em; }
.card dl { display: grid; grid-template-columns: auto auto auto; gap: 2px 12px; margin: 8px 0 0; }
.card dt { color: var(--muted); } .card dd { margin: 0; font-variant-numeric: tabular-nums; }
svg.chart { width: 100%; height: auto; display: block; }
.accepted { fill: #2da44e; } .rejected { fill: #cf222e; } .pendingbar { fill: #bf8700; } .deadbar { fill: #a40e26; } .deliveredbar { fill: #2da44e; } .axis { stroke: var(--line); }
.legend { font-size: .85em; color: var(--muted); } .legend span::before { content: "■ "; } .legend .l-acc::before { color: #2da44e; } .legend .l-rej::before { color: #cf222e; }
.legend .l-pen::before { color: #bf8700; } .legend .l-dead::before { color: #a40e26; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.delivery { border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; margin: 12px 0; }
.signin { max-width: 360px; margin: 12vh auto; } .signin form { display: flex; flex-direction: column; gap: 8px; }
.pager { margin-top: 12px; }
`
