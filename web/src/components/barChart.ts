// A small bar chart drawn as SVG by our own code (no charting library): one bar
// per period, a few horizontal grid lines with their values, the first, middle
// and last period labelled, and each bar's exact value in its tooltip.
const SVG = 'http://www.w3.org/2000/svg';

export interface Bar {
  /** Shown under the chart (first, middle, last) and in the tooltip. */
  label: string;
  /** Drawn height (only for drawing: exact figures are in `text`). */
  value: number;
  /** The exact figure as the API gave it, e.g. "94.000". */
  text: string;
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A "nice" upper bound for the axis: 1, 2 or 5 × 10^n at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function short(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(2)}`;
}

export function barChart(bars: Bar[], opts: { title: string; unit: string; width?: number; height?: number }): SVGSVGElement {
  const width = opts.width ?? 720;
  const height = opts.height ?? 240;
  const left = 52, right = 10, top = 12, bottom = 30;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'bar-chart', width: '100%' });
  svg.setAttribute('aria-label', `${opts.title}: ${bars.length} periods, at most ${short(Math.max(0, ...bars.map((b) => b.value)))} ${opts.unit}`);
  svg.append(el('title', {}, opts.title));
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    svg.append(el('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid-line' }));
    svg.append(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis-label' }, short(v)));
  }
  const slot = bars.length ? plotW / bars.length : plotW;
  const gap = Math.min(4, slot * 0.2);
  bars.forEach((b, i) => {
    const h = max > 0 ? (plotH * Math.max(0, b.value)) / max : 0;
    const x = left + i * slot + gap / 2;
    const rect = el('rect', { x, y: top + plotH - h, width: Math.max(1, slot - gap), height: h, class: 'bar' });
    rect.setAttribute('data-period', b.label);
    rect.setAttribute('data-value', b.text);
    rect.append(el('title', {}, `${b.label}: ${b.text} ${opts.unit}`));
    svg.append(rect);
  });
  const labelled = bars.length > 2 ? [0, Math.floor((bars.length - 1) / 2), bars.length - 1] : bars.map((_, i) => i);
  for (const i of new Set(labelled)) {
    const b = bars[i];
    if (!b) continue;
    const x = left + i * slot + slot / 2;
    const anchor = i === 0 && bars.length > 1 ? 'start' : i === bars.length - 1 && bars.length > 1 ? 'end' : 'middle';
    svg.append(el('text', { x: anchor === 'start' ? left : anchor === 'end' ? width - right : x, y: height - 8, 'text-anchor': anchor, class: 'axis-label' }, b.label));
  }
  svg.append(el('line', { x1: left, x2: width - right, y1: top + plotH, y2: top + plotH, class: 'axis' }));
  return svg;
}
