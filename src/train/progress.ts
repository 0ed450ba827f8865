/**
 * Training progress on stderr (a bar with loss, dev F1, chars/s and ETA) and the learning curve as SVG.
 */

import type { EpochReport } from './checkpoint.js';

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** A one-line progress bar, redrawn in place on a terminal, one line per ~10 % otherwise. */
export class ProgressBar {
  private lastDraw = 0;
  private lastDecile = -1;

  /** `hasDev` false: a run with no dev set (a final fit), whose lines say so instead of showing a dev F1 */
  constructor(private readonly out: ProgressSink, private readonly epochs: number, private readonly hasDev = true) {}

  update(p: { epoch: number; done: number; total: number; loss: number; devF1?: number; charsPerSec: number; etaSeconds: number }): void {
    const frac = p.total ? p.done / p.total : 0;
    const now = Date.now();
    const tty = !!this.out.isTTY;
    const decile = Math.floor(frac * 10);
    if (tty ? now - this.lastDraw < 200 && p.done < p.total : decile === this.lastDecile) return;
    this.lastDraw = now;
    this.lastDecile = decile;
    const width = 24;
    const fill = Math.round(frac * width);
    const bar = '#'.repeat(fill) + '.'.repeat(width - fill);
    const f1 = p.devF1 === undefined ? '  -   ' : p.devF1.toFixed(4);
    const line = `epoch ${p.epoch}/${this.epochs} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% loss ${p.loss.toFixed(3)} dev F1 ${f1} ${Math.round(p.charsPerSec)} chars/s ETA ${clock(p.etaSeconds)}`;
    this.out.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  epochDone(r: EpochReport, best: boolean): void {
    const dev = this.hasDev ? `dev P ${r.devPrecision.toFixed(4)} R ${r.devRecall.toFixed(4)} F1 ${r.devF1.toFixed(4)}${r.kept ? ` (${r.kept === 'raw' ? 'raw weights: the average scored' : 'average: the raw weights scored'} ${(r.kept === 'raw' ? r.devF1Average! : r.devF1Raw!).toFixed(4)})` : ''}${best ? ' (best)' : ''}` : 'no dev set (the last epoch is kept)';
    const line = `epoch ${r.epoch}/${this.epochs} loss ${r.loss.toFixed(4)} ${dev} ${Math.round(r.charsPerSec)} chars/s ${clock(r.seconds)}`;
    this.out.write(this.out.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
    this.lastDecile = -1;
  }

  message(s: string): void {
    this.out.write(this.out.isTTY ? `\r${s}\x1b[K\n` : `${s}\n`);
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * The learning curve: training loss (left axis) and dev F1 (right axis) per epoch, as a standalone SVG.
 * `hasDev` false (no dev sentences): no dev F1 line, the right axis says n/a.
 */
export function learningCurveSvg(history: readonly EpochReport[], title = 'learning curve', hasDev = true): string {
  const W = 640;
  const H = 360;
  const L = 60;
  const R = 60;
  const T = 40;
  const B = 50;
  const pw = W - L - R;
  const ph = H - T - B;
  const n = Math.max(1, history.length);
  const maxLoss = Math.max(1e-9, ...history.map((h) => h.loss));
  const x = (i: number) => L + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
  const yLoss = (v: number) => T + ph - (v / maxLoss) * ph;
  const yF1 = (v: number) => T + ph - v * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const f = k / 4;
    const y = T + ph - f * ph;
    parts.push(`<line x1="${L}" y1="${y}" x2="${L + pw}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end" fill="#c0392b">${(f * maxLoss).toPrecision(3)}</text>`);
    parts.push(`<text x="${L + pw + 6}" y="${y + 4}" fill="#2471a3">${f.toFixed(2)}</text>`);
  }
  const step = Math.max(1, Math.ceil(n / 10));
  history.forEach((h, i) => {
    if (i % step === 0 || i === n - 1) parts.push(`<text x="${x(i)}" y="${T + ph + 18}" text-anchor="middle">${h.epoch}</text>`);
  });
  parts.push(`<text x="${L + pw / 2}" y="${H - 12}" text-anchor="middle">epoch</text>`);
  parts.push(`<text x="16" y="${T + ph / 2}" fill="#c0392b" transform="rotate(-90 16 ${T + ph / 2})" text-anchor="middle">training loss / sentence</text>`);
  parts.push(`<text x="${W - 14}" y="${T + ph / 2}" fill="#2471a3" transform="rotate(90 ${W - 14} ${T + ph / 2})" text-anchor="middle">${hasDev ? 'dev F1' : 'dev F1 n/a (no dev sentences)'}</text>`);
  const poly = (pts: string, color: string) => parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
  if (history.length) {
    poly(history.map((h, i) => `${x(i).toFixed(1)},${yLoss(h.loss).toFixed(1)}`).join(' '), '#c0392b');
    if (hasDev) poly(history.map((h, i) => `${x(i).toFixed(1)},${yF1(h.devF1).toFixed(1)}`).join(' '), '#2471a3');
    history.forEach((h, i) => {
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${yLoss(h.loss).toFixed(1)}" r="2.5" fill="#c0392b"/>`);
      if (hasDev) parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${yF1(h.devF1).toFixed(1)}" r="2.5" fill="#2471a3"/>`);
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}
