// Opens a report page in Debian's headless Chromium (driven by playwright-core, an optional dependency)
// and says what it drew: for every chart, how many pixels inside its plot area carry the colour
// of its first series (axes and grid lines are grey, so a chart whose data did not draw counts
// ~0), plus console errors, load time and an optional full-page screenshot.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ChartCheck {
  id: string;
  /** times the chart's draw hook ran */
  drawn: number;
  series: number;
  points: number;
  /** pixels in the plot area close to the first series' colour */
  seriesPixels: number;
  /** fault-window labels drawn on the plot, in order */
  faultLabels: string[];
  /** per series (1-based as uPlot counts): its label, whether it bridges gaps, and its x/y data */
  seriesData: Array<{ label: string; spanGaps: boolean; y: Array<number | null> }>;
  x: number[];
}

/** Where a chart's parts lie, to check that nothing spills out of its frame. */
export interface LayoutCheck {
  width: number;
  charts: Array<{ id: string; frame: Box; canvas: Box; legend: Box | null }>;
  /** the document is wider than the window (a horizontal scroll bar) */
  overflowX: boolean;
}
export interface Box { left: number; right: number; top: number; bottom: number }

/** The answer above the charts: the sentence and the accounting bar as drawn. */
export interface FirstScreenCheck {
  answer: string | null;
  generated: number | null;
  barWidth: number;
  segments: Array<{ key: string; value: number; width: number }>;
  /** the bar's bottom edge lies above the first chart's top edge */
  barAboveCharts: boolean;
}

export interface PageCheck {
  charts: ChartCheck[];
  consoleErrors: string[];
  /** requests for anything but the page itself (a self-contained page makes none) */
  externalRequests: string[];
  /** navigation start to charts ready, ms */
  loadMs: number;
  firstScreen: FirstScreenCheck;
  layouts: LayoutCheck[];
  extra?: unknown;
}

// Runs in the page. A string, not a function: tsx compiles functions with helpers (__name) that
// do not exist in the page.
const IN_PAGE_CHECK = `(() => {
  const hex = (c) => { const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c); return m ? [1, 2, 3].map((i) => parseInt(m[i], 16)) : null; };
  return (window.__auditstormCharts || []).map((u) => {
    const el = u.root.parentElement;
    const stroke = typeof u.series[1].stroke === 'function' ? u.series[1].stroke(u, 1) : String(u.series[1].stroke || '');
    const rgb = hex(stroke);
    let seriesPixels = 0;
    if (rgb && u.bbox.width > 0 && u.bbox.height > 0) {
      const img = u.ctx.getImageData(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height).data;
      for (let i = 0; i < img.length; i += 4) {
        if (img[i + 3] > 200 && Math.abs(img[i] - rgb[0]) < 40 && Math.abs(img[i + 1] - rgb[1]) < 40 && Math.abs(img[i + 2] - rgb[2]) < 40) seriesPixels++;
      }
    }
    const seriesData = u.series.slice(1).map((s, i) => ({ label: String(s.label), spanGaps: s.spanGaps === true, y: Array.from(u.data[i + 1]) }));
    return { id: u.__chartId, drawn: Number(el.dataset.drawn || 0), series: Number(el.dataset.series || 0), points: Number(el.dataset.points || 0), seriesPixels,
      faultLabels: JSON.parse(el.dataset.faultLabels || '[]'), seriesData, x: Array.from(u.data[0]) };
  });
})()`;

const IN_PAGE_FIRST_SCREEN = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  const acc = document.querySelector('.accounting');
  const bar = acc && acc.querySelector('.bar');
  const firstChart = document.querySelector('.chart');
  return {
    answer: (document.querySelector('.answer') || {}).textContent || null,
    generated: acc ? Number(acc.dataset.generated) : null,
    barWidth: bar ? bar.clientWidth : 0,
    segments: bar ? Array.from(bar.querySelectorAll('.seg')).map((s) => ({ key: s.dataset.key, value: Number(s.dataset.value), width: s.getBoundingClientRect().width })) : [],
    barAboveCharts: !!(bar && firstChart && box(bar).bottom <= box(firstChart).top),
  };
})()`;

const IN_PAGE_LAYOUT = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  return {
    width: window.innerWidth,
    overflowX: document.documentElement.scrollWidth > window.innerWidth + 1,
    charts: (window.__auditstormCharts || []).map((u) => {
      const legend = u.root.querySelector('.u-legend');
      return { id: u.__chartId, frame: box(u.root.parentElement), canvas: box(u.root.querySelector('canvas')), legend: legend ? box(legend) : null };
    }),
  };
})()`;

export class BrowserUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserUnavailableError';
  }
}

export interface CheckPageOptions {
  screenshot?: string;
  /** false: only the window (width x height), e.g. the first screen for a figure */
  fullPage?: boolean;
  width?: number;
  height?: number;
  timeoutMs?: number;
  /** also lay the page out at these window widths and report where each chart's parts lie */
  layoutWidths?: number[];
  /** an expression evaluated in the page once it is drawn; its value is returned as `extra` */
  evaluate?: string;
}

export async function checkPage(htmlPath: string, opts: CheckPageOptions = {}): Promise<PageCheck> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new BrowserUnavailableError(`${CHROMIUM_PATH} not found: install Debian's chromium with 'auditstorm setup --browser' (or apt-get install -y chromium)`);
  }
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw new BrowserUnavailableError('playwright-core is not installed (an optional dependency, for the screenshot and page check): npm install playwright-core');
  }
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const width = opts.width ?? 1280, height = opts.height ?? 900;
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
    const consoleErrors: string[] = [];
    const externalRequests: string[] = [];
    const url = pathToFileURL(htmlPath).href;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on('request', (r) => { if (r.url() !== url && !r.url().startsWith('data:')) externalRequests.push(r.url()); });
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: opts.timeoutMs ?? 60_000 });
    await page.waitForSelector('body[data-charts-ready]', { timeout: opts.timeoutMs ?? 60_000 });
    const loadMs = Date.now() - t0;
    const charts = await page.evaluate(IN_PAGE_CHECK) as ChartCheck[];
    const firstScreen = await page.evaluate(IN_PAGE_FIRST_SCREEN) as FirstScreenCheck;
    const extra = opts.evaluate ? await page.evaluate(opts.evaluate) : undefined;
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: opts.fullPage ?? true });
    const layouts: LayoutCheck[] = [];
    for (const w of opts.layoutWidths ?? []) {
      await page.setViewportSize({ width: w, height });
      // the page re-lays its charts 100 ms after the last resize event
      await page.waitForTimeout(400);
      layouts.push(await page.evaluate(IN_PAGE_LAYOUT) as LayoutCheck);
    }
    return { charts, consoleErrors, externalRequests, loadMs, firstScreen, layouts, extra };
  } finally {
    await browser.close();
  }
}
