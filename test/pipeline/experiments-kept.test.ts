/** docs/experiments.md's hand-measured part (after KEPT_MARKER) survives a rewrite by scripts/experiments.ts. */
import { describe, expect, it } from 'vitest';
import { KEPT_MARKER, keepHandMeasured } from '../../scripts/experiments.js';

describe('keepHandMeasured', () => {
  it('appends the previous file from the marker on, and nothing when there is no marker or no file', () => {
    const previous = `# Experiments\n\nold table\n\n${KEPT_MARKER}\n\n## Blocked split\n\n| a | b |\n`;
    expect(keepHandMeasured(previous, '# Experiments\n\nnew table\n')).toBe(
      `# Experiments\n\nnew table\n\n${KEPT_MARKER}\n\n## Blocked split\n\n| a | b |\n`,
    );
    expect(keepHandMeasured('# Experiments\n\nold table\n', 'new\n')).toBe('new\n');
    expect(keepHandMeasured(null, 'new\n')).toBe('new\n');
  });
});
