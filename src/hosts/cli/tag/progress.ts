/**
 * A one-line progress bar on stderr (only when stderr is a TTY): `[#######-------]  48%  1,204 docs  52,310 chars/s`.
 * Counts only: it never shows text.
 */
export interface ProgressState {
  /** units done and in all (bytes of a file, files of a folder); total 0 = unknown */
  done: number;
  total: number;
  docs: number;
  chars: number;
  failed: number;
  /** seconds since the start */
  seconds: number;
}

const group = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The bar's text for a state, `width` columns of bar. */
export function renderProgress(s: ProgressState, width = 24): string {
  const rate = s.seconds > 0 ? s.chars / s.seconds : 0;
  const parts: string[] = [];
  if (s.total > 0) {
    const f = Math.max(0, Math.min(1, s.done / s.total));
    const filled = Math.round(f * width);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`, `${String(Math.floor(f * 100)).padStart(3)}%`);
  }
  parts.push(`${group(s.docs)} docs`, `${group(rate)} chars/s`);
  if (s.failed > 0) parts.push(`${group(s.failed)} failed`);
  return parts.join('  ');
}

export interface Progress {
  update(s: Omit<ProgressState, 'seconds'>): void;
  /** clears the line (call before writing other messages to the same stream) */
  clear(): void;
  done(): void;
}

/** A progress bar on `stream` when it is a TTY (at most 10 redraws a second), else one that does nothing. */
export function createProgress(stream: NodeJS.WriteStream, enabled = stream.isTTY === true): Progress {
  const t0 = performance.now();
  if (!enabled) return { update() {}, clear() {}, done() {} };
  let last = -Infinity;
  let shown = false;
  let latest: Omit<ProgressState, 'seconds'> | null = null;
  const draw = () => {
    if (!latest) return;
    stream.write(`\r\x1b[2K${renderProgress({ ...latest, seconds: (performance.now() - t0) / 1000 })}`);
    shown = true;
  };
  return {
    update(s) {
      latest = s;
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      draw();
    },
    clear() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
      last = -Infinity;
    },
    done() {
      draw();
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
