/**
 * The interactive prompt of `cner tag` (stdin is a TTY, no text argument), like the paper's tool:
 *
 *   enter a sent: 患者上腹部疼痛三天
 *   患者[上腹部]疼痛三天            (entities coloured by type on a colour terminal)
 *     BODY       2   5  上腹部  0.9871
 *     SIGNS      5   7  疼痛    0.9532
 *
 * An empty line asks again; end-of-input (Ctrl-D), `exit` or `quit` leave; Ctrl-C leaves too, flagged as an
 * interruption (the CLI then exits 130, as shells expect).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Entity, TagOptions, Tagger } from '../../../tagger.js';
import { formatScore, paint } from './output.js';

export const PROMPT = 'enter a sent: ';

export interface InteractiveOptions {
  tagger: Pick<Tagger, 'tag'>;
  input: Readable;
  output: Writable;
  /** colour the entities (ANSI) */
  colour: boolean;
  /** whether input is a terminal (line editing, history) */
  terminal?: boolean;
  tagOptions?: TagOptions;
  prompt?: string;
}

/** The sentence with its entities marked: coloured when `colour`, else in [brackets]. UTF-16 offsets expected. */
export function highlight(text: string, entities: readonly Entity[], colour: boolean): string {
  let at = 0;
  let out = '';
  for (const e of [...entities].sort((a, b) => a.start - b.start)) {
    if (e.start < at) continue;
    out += text.slice(at, e.start);
    const mention = text.slice(e.start, e.end);
    out += colour ? paint(mention, e.type, true) : `[${mention}]`;
    at = e.end;
  }
  return out + text.slice(at);
}

/** Entities with code point offsets → the same entities with UTF-16 offsets. */
export function toUtf16Offsets(text: string, entities: readonly Entity[]): Entity[] {
  const at: number[] = []; // code point index → UTF-16 offset  [code points + 1]
  let u = 0;
  for (const ch of text) {
    at.push(u);
    u += ch.length;
  }
  at.push(u);
  return entities.map((e) => ({ ...e, start: at[e.start], end: at[e.end] }));
}

/** The entity lines under a sentence. */
export function entityLines(entities: readonly Entity[], colour: boolean): string[] {
  if (entities.length === 0) return ['  (no entities)'];
  const typeWidth = Math.max(...entities.map((e) => e.type.length));
  const numWidth = Math.max(...entities.map((e) => String(e.end).length));
  return entities.map((e) => {
    const type = paint(e.type.padEnd(typeWidth), e.type, colour);
    const score = formatScore(e.score);
    return `  ${type}  ${String(e.start).padStart(numWidth)}  ${String(e.end).padStart(numWidth)}  ${e.text}${score ? '  ' + score : ''}`;
  });
}

/** Runs the prompt until the input ends. Resolves to the number of sentences tagged and whether Ctrl-C ended it. */
export async function interactive(options: InteractiveOptions): Promise<{ count: number; interrupted: boolean }> {
  const { tagger, input, output, colour } = options;
  const prompt = options.prompt ?? PROMPT;
  const rl = createInterface({ input, output, terminal: options.terminal ?? false, prompt });
  const codepoints = options.tagOptions?.offsets === 'codepoint';
  let count = 0;
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    rl.close();
  });
  const write = (s: string) => output.write(s.endsWith('\n') ? s : s + '\n');
  rl.prompt();
  try {
    for await (const line of rl) {
      const text = line.replace(/\r$/, '');
      const command = text.trim();
      if (command === 'exit' || command === 'quit') break;
      if (command !== '') {
        const { entities } = tagger.tag(text, options.tagOptions);
        const marks = codepoints ? toUtf16Offsets(text, entities) : entities;
        write(highlight(text, marks, colour));
        for (const l of entityLines(entities, colour)) write(l);
        count++;
      }
      rl.prompt();
    }
  } finally {
    rl.close();
  }
  if (options.terminal) write('');
  return { count, interrupted };
}
