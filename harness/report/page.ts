// One self-contained HTML page: uPlot's script and stylesheet, our drawing script and the data
// are all inlined, so the file opens from disk, from a CI artifact or an e-mail, with no network.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PageData } from './charts.ts';
import { packageFile } from '../../lib/paths.ts';

const require = createRequire(import.meta.url);
let assets: { uplotJs: string; uplotCss: string; client: string } | null = null;

function loadAssets(): { uplotJs: string; uplotCss: string; client: string } {
  if (!assets) {
    const dist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
    assets = {
      uplotJs: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
      uplotCss: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
      client: readFileSync(packageFile('harness/report/assets/report-client.js'), 'utf8'),
    };
  }
  return assets;
}

export const esc = (s: unknown): string => String(s)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** JSON that is safe inside <script>: no "</script>", no "<!--". */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
/** Inline script text must not close its own tag. */
const scriptText = (s: string): string => s.replace(/<\/script/gi, '<\\/script');

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 2px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; margin-right: 8px; }
.pass { background: #2e7d32; } .fail { background: #c62828; } .unknown { background: #757575; }
table { border-collapse: collapse; margin: 6px 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fdecea; }
.ok { color: #2e7d32; font-weight: 600; } .notok { color: #c62828; font-weight: 600; }
.chart { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 6px 8px 2px; margin: 6px 0 4px; }
.caption { color: #555; margin: 2px 0 0; } .note { color: #8a6d00; margin: 2px 0 0; font-style: italic; }
pre { background: #fff; border: 1px solid #ddd; padding: 8px 12px; overflow: auto; max-height: 480px; font-size: 12px; }
.chart .u-legend { display: flex; flex-wrap: wrap; justify-content: flex-start; gap: 0 12px; max-width: 100%; box-sizing: border-box; font-size: 12px; }
.chart .u-legend .u-series { display: inline-flex; align-items: center; white-space: nowrap; max-width: 100%; }
.chart .u-legend .u-series th, .chart .u-legend .u-series td { border: 0; padding: 1px 4px; }
.legend-keys span { margin-right: 18px; } .sw { display: inline-block; width: 22px; height: 10px; vertical-align: middle; margin-right: 4px; }
.muted { color: #666; } ul.problems li { color: #8a6d00; }
.answer { font-size: 17px; margin: 10px 0 8px; max-width: 70em; }
.accounting { margin: 4px 0 14px; }
.accounting .bar { display: flex; height: 22px; border-radius: 4px; overflow: hidden; background: #eee; border: 1px solid #ccc; }
.accounting .seg { display: block; height: 100%; flex: none; }
.accounting .bar-total { margin: 4px 0 2px; color: #444; }
.accounting .bar-legend { list-style: none; padding: 0; margin: 2px 0; }
.accounting .bar-legend li { margin: 1px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 340px; min-width: 0; background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 12px; }
.card h3 { margin-top: 4px; }
`;

export interface PageInput {
  title: string;
  /** HTML above the charts (verdict, tables) */
  top: string;
  /** HTML below the charts (scenario, host) */
  bottom: string;
  data: PageData;
}

export function renderPage(p: PageInput): string {
  const a = loadAssets();
  const charts = p.data.charts.map((c) => `
<section class="chart-block">
  <h3>${esc(c.title)}</h3>
  <div class="chart" id="chart-${esc(c.id)}"></div>
  <p class="caption">${esc(c.caption)}</p>${c.note ? `\n  <p class="note">${esc(c.note)}</p>` : ''}
</section>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<style>${a.uplotCss}</style>
<style>${CSS}</style>
</head>
<body>
<main>
${p.top}
<h2>Time series</h2>
${markerKey(p.data)}
${charts}
${p.bottom}
</main>
<script id="report-data" type="application/json">${scriptJson(p.data)}</script>
<script>${scriptText(a.uplotJs)}</script>
<script>${scriptText(a.client)}</script>
</body>
</html>
`;
}

function markerKey(d: PageData): string {
  const parts: string[] = [];
  if (d.widthMs > 150) {
    parts.push(`<span>each point covers ${esc((d.widthMs / 1000).toFixed(1))} s: the line is the maximum in that time${d.envelopeBands === false ? '' : ', the shaded band reaches down to the minimum'}</span>`);
  }
  if (d.shades.length) parts.push(`<span><i class="sw" style="background:${esc(d.shades[0].color)}"></i>fault window (${d.shades.length})</span>`);
  const oom = d.marks.filter((m) => !m.dash).length;
  const restarts = d.marks.filter((m) => m.dash).length;
  if (oom) parts.push(`<span><i class="sw" style="background:#d62728;height:3px"></i>OOM kill (${oom})</span>`);
  if (restarts) parts.push(`<span><i class="sw" style="border-top:2px dashed #8c564b;height:0"></i>daemon restart (${restarts})</span>`);
  if (!d.shades.length) parts.push('<span class="muted">no fault windows</span>');
  if (!oom) parts.push('<span class="muted">no OOM kills</span>');
  return `<p class="legend-keys">${parts.join('')}</p>`;
}
