"""The dashboard's one stylesheet (put on the page once, in an HTML widget)."""

CSS = """
<style>
.jyjg-root, .jyjg-root .widget-label, .jyjg-root button, .jyjg-root input, .jyjg-root select, .jyjg-root textarea {
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif; }
.jyjg-root { max-width: 1400px; font-size: 14px; }
.jyjg-title { font-size: 20px; font-weight: 600; margin: 4px 0 8px 0; }
.jyjg-muted { color: #777; font-size: 12px; }
.jyjg-table { border-collapse: collapse; width: 100%; margin: 6px 0 12px 0; }
.jyjg-table caption { text-align: left; color: #555; padding: 4px 0; caption-side: top; }
.jyjg-table th, .jyjg-table td { border-bottom: 1px solid #e3e3e3; padding: 5px 8px; vertical-align: top;
  text-align: left; line-height: 1.5; }
.jyjg-table th { background: #f4f6f8; font-weight: 600; white-space: nowrap; }
.jyjg-table th a { color: #223; text-decoration: none; }
.jyjg-table .num { text-align: right; white-space: nowrap; }
.jyjg-list tbody tr:hover { background: #f7fbff; }
.jyjg-list .jyjg-file { color: #888; font-size: 12px; word-break: break-all; }
.jyjg-open-link { font-weight: 600; color: #0b5cad; text-decoration: none; }
.jyjg-open-link:hover { text-decoration: underline; }
.jyjg-empty { color: #888; text-align: center !important; padding: 16px !important; }
.jyjg-err { color: #b3261e; }
.jyjg-warn { color: #9a6700; }
.jyjg-ok { color: #1a7f37; }
.jyjg-item td { background: #f8f8fb; font-weight: 600; }
.jyjg-rules td:first-child { white-space: nowrap; }
.jyjg-rules td:nth-child(2) { min-width: 14em; }
.jyjg-rules td:nth-child(5) { min-width: 16em; word-break: break-all; }
.jyjg-state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; white-space: nowrap;
  background: #eee; color: #333; }
.jyjg-state-wait { background: #e8f0fe; color: #1a4fa0; }
.jyjg-state-back { background: #fff4e5; color: #8a4b00; }
.jyjg-state-site { background: #efe7fb; color: #5b2d99; }
.jyjg-state-pass { background: #e6f4ea; color: #1a7f37; }
.jyjg-state-fail { background: #fde7e7; color: #b3261e; }
.jyjg-cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 16px 0; }
.jyjg-card { border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px 16px; min-width: 96px; text-align: center; }
.jyjg-card-n { font-size: 26px; font-weight: 600; }
.jyjg-chart h4 { margin: 8px 0; }
.jyjg-bar-row { display: grid; grid-template-columns: 200px minmax(200px, 1fr) 440px; gap: 12px; align-items: center;
  margin: 8px 0; }
.jyjg-bar { position: relative; height: 22px; background: #eef0f3; border-radius: 4px; display: flex; }
.jyjg-bar-pass { background: #2e9d57; height: 100%; }
.jyjg-bar-busy { background: #9cc3f0; height: 100%; }
.jyjg-target { position: absolute; top: -4px; bottom: -4px; width: 0; border-left: 3px solid #d2461f; }
.jyjg-bar-text { font-size: 13px; }
.jyjg-bar-district .jyjg-bar-label { padding-left: 1.5em; font-weight: normal; }
.jyjg-legend { font-size: 12px; color: #555; display: flex; gap: 6px; align-items: center; margin-top: 6px; }
.jyjg-key { display: inline-block; width: 14px; height: 10px; margin-left: 10px; }
.jyjg-key-target { border-left: 3px solid #d2461f; width: 0; height: 14px; }
.jyjg-facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 4px 16px;
  margin: 6px 0 10px 0; }
.jyjg-fact { display: flex; gap: 8px; align-items: baseline; }
.jyjg-fact span { white-space: nowrap; }
.jyjg-fact b { font-weight: 600; word-break: break-all; }
.jyjg-fact em.jyjg-verdict { font-style: normal; }
.jyjg-fact:has(em.jyjg-verdict) { grid-column: span 2; }  /* the verdict and its reasons: two columns wide */
.jyjg-prose { white-space: pre-wrap; word-break: break-word; }
.jyjg-findings li { margin: 3px 0; }
.jyjg-msg { padding: 6px 10px; border-radius: 4px; margin: 4px 0; white-space: pre-wrap; }
.jyjg-msg-error { background: #fde7e7; color: #8c1d18; border: 1px solid #f3b8b4; }
.jyjg-msg-ok { background: #e6f4ea; color: #14532d; border: 1px solid #a7d7b5; }
.jyjg-msg-info { background: #eef4fc; color: #1a3f73; border: 1px solid #bcd3f2; }
.jyjg-warn-box { background: #fff4e5; border: 1px solid #f0c987; padding: 6px 10px; border-radius: 4px; }
.jyjg-current { background: #f4f6f8; padding: 6px 10px; border-radius: 4px; margin: 4px 0 8px 0; }
.jyjg-viewer iframe { width: 100%; height: 720px; border: 1px solid #ccc; }
.jyjg-viewer img { max-width: 100%; max-height: 720px; border: 1px solid #ccc; }
.jyjg-total { font-size: 16px; margin: 8px 0; }
.jyjg-total-n { font-size: 22px; }
.jyjg-tally .jyjg-down td { background: #fff7f6; }
.jyjg-verify-head { font-weight: 600; background: #f4f6f8; padding: 4px 6px; }
.jyjg-verify-cell { padding: 2px 6px; line-height: 1.4; font-size: 13px; overflow-wrap: anywhere; }
.jyjg-verify-item { font-weight: 600; background: #f8f8fb; padding: 4px 6px; }
.jyjg-download a { display: inline-block; margin: 4px 0; font-weight: 600; }
.jyjg-typed select, .jyjg-typed input[type="text"] { background: #fff8db; }
.jyjg-typed.widget-checkbox { background: #fff8db; }
.jyjg-revoked td { color: #888; text-decoration: line-through; }
.jyjg-revoked td .jyjg-revoked-note { text-decoration: none; color: #8c1d18; }
.jyjg-revoke-box { border-top: 1px dashed #ddd; margin-top: 12px; }
.jyjg-actor { margin: 0 16px; white-space: nowrap; }
.jyjg-comment { border-left: 3px solid #bcd3f2; padding: 4px 10px; margin: 8px 0; max-width: 900px; }
.jyjg-comment-head { margin-bottom: 2px; }
.jyjg-year-charts { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; }
.jyjg-year-chart { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 6px 8px; width: 340px; }
.jyjg-year-chart figcaption { font-weight: 600; font-size: 13px; }
.jyjg-year-chart svg { width: 100%; height: auto; display: block; }
.jyjg-year-chart text { font-size: 12px; text-anchor: middle; fill: #333; }
.jyjg-year-chart text.year { fill: #555; }
.jyjg-year-chart text.met { fill: #1a7f37; }
.jyjg-year-chart text.missed { fill: #b3261e; }
.jyjg-year-chart .axis { stroke: #bbb; stroke-width: 1; }
.jyjg-year-chart .line { fill: none; stroke: #0b5cad; stroke-width: 2; }
.jyjg-year-chart .dot { fill: #0b5cad; }
.jyjg-years ul.jyjg-asks { display: inline-block; margin: 0; padding-left: 1.4em; vertical-align: top; }
.jyjg-years tr.jyjg-year-row:has(+ tr.jyjg-asks-row) td { border-bottom: none; }
.jyjg-years tr.jyjg-asks-row td { background: #fffaf2; padding-top: 2px; }
.jyjg-years td.jyjg-warn { background: #fff4e5; }
</style>
"""
