/**
 * Headless Chromium for the page tests (Debian's /usr/bin/chromium driven by playwright-core).
 * Missing browser: the tests fail in CI (CI=true) and are skipped with a message elsewhere.
 * CHROMIUM_PATH overrides the browser path.
 */
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumPresent = existsSync(chromiumPath);
const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Warns (or, in CI, registers a failing test) when Chromium is missing; call once at the top of a test file. */
export function requireChromium(what: string): void {
  if (chromiumPresent) return;
  console.warn(
    `[${what}] ${chromiumPath} not found: ${inCI ? 'FAILING (CI=true)' : 'skipping'} the headless Chromium test ` +
      `(install it with: apt-get install chromium, or set CHROMIUM_PATH)`,
  );
  describe.runIf(inCI)(`${what} (browser missing in CI)`, () => {
    it('needs Chromium', () => {
      throw new Error(`headless Chromium is required in CI: ${chromiumPath} not found (apt-get install chromium)`);
    });
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** '#cfe8ff' → 'rgb(207, 232, 255)', as getComputedStyle writes it */
export function cssRgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

/** What the page shows: the legend entries and the highlighted entities with their inline label and colours. */
export const READ_VIEW = `(() => {
  const view = (m) => {
    const cs = getComputedStyle(m);
    const after = getComputedStyle(m, '::after');
    return { type: m.dataset.type, text: m.textContent, cls: m.className, background: cs.backgroundColor,
      line: cs.borderBottomStyle, label: after.content, labelColor: after.color };
  };
  return {
    legend: Array.from(document.querySelectorAll('#legend mark')).map((m) => ({ ...view(m), name: m.textContent })),
    marks: Array.from(document.querySelectorAll('#out mark')).map(view),
  };
})()`;

export interface ViewMark {
  type: string;
  text: string;
  cls: string;
  background: string;
  line: string;
  label: string;
  labelColor: string;
}
export interface View {
  legend: (ViewMark & { name: string })[];
  marks: ViewMark[];
}
