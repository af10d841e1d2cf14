// Opens a report page in Debian's headless Chromium (driven by playwright-core, a dev dependency)
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
}

export interface PageCheck {
  charts: ChartCheck[];
  consoleErrors: string[];
  /** requests for anything but the page itself (a self-contained page makes none) */
  externalRequests: string[];
  /** navigation start to charts ready, ms */
  loadMs: number;
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
    return { id: u.__chartId, drawn: Number(el.dataset.drawn || 0), series: Number(el.dataset.series || 0), points: Number(el.dataset.points || 0), seriesPixels };
  });
})()`;

export class BrowserUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserUnavailableError';
  }
}

export async function checkPage(htmlPath: string, opts: { screenshot?: string; width?: number; timeoutMs?: number } = {}): Promise<PageCheck> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new BrowserUnavailableError(`${CHROMIUM_PATH} not found: install Debian's chromium with 'auditstorm setup --browser' (or apt-get install -y chromium)`);
  }
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw new BrowserUnavailableError('playwright-core is not installed (npm install --save-dev playwright-core)');
  }
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1280, height: 900 }, deviceScaleFactor: 1 });
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
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
    return { charts, consoleErrors, externalRequests, loadMs };
  } finally {
    await browser.close();
  }
}
