/** `cner info MODEL`: the model card summary of a model file, read from its header (checked, digests verified). */
import { CHANNELS, CHAR_LM, OUTSIDE_LEX, type InputChannel, channelDim } from '../../../features/channels.js';
import { readModelAsync, type ModelHeader } from '../../../model/format.js';
import { tagTypes } from '../../../tags/bio.js';
import { formatFigure } from '../../../eval/report.js';
import { defaultModelPath } from '../../node.js';
import { EXIT_OK, out, parseCommandArgs, type Command } from '../command.js';
import { readInputFile } from '../shared.js';

const usage = `Usage: cner info [MODEL] [--json]

Prints the summary of a model file: name and version, its content id (SHA-256, the first 12 hex digits; the full
digest with --json), the entity labels, when it was written and trained, the corpus and terms it was trained
under, its recorded metrics, its size, every input channel it has (char, word, bigram, lexicon: rows×dimension;
charLm: the LMs' hidden size and input dimension; outsideLex: the list's words×dimension, and whether the list is its
own or marked in the segmenter's dictionary) and its network.
The file is checked as the tagger checks it (format and digests) before anything is printed.

Options:
  MODEL        the model file (default: models/default.cner of the package)
  --json       print the summary as one JSON object
  -h, --help   show this help`;

export interface ModelSummary {
  file: string;
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  created: string;
  /** when it was trained: training.date / trainedAt / finished when recorded, else the write time of a model with a training record (as /healthz says), else null */
  trained: string | null;
  corpus: string | null;
  license: string | null;
  epochs: number | null;
  /** what trained it (training.backend.name: "wasm, 2 workers", "webgpu: <adapter>"), null when not recorded */
  backend: string | null;
  types: string[];
  labels: string[];
  /** what the network was fitted on (training.config.trainOn: train, train+dev or all), null when not recorded */
  trainOn: string | null;
  /** per split (dev, test …): precision, recall, F1 as fractions, null when not recorded */
  metrics: Record<string, { precision: number | null; recall: number | null; f1: number | null }>;
  /** per input channel (CHANNELS, by name): its sizes, null when the model does not have it */
  channels: Record<string, ChannelSummary | null>;
  network: { lstm: number[]; crf: boolean; quantization: string; consistency: boolean; segmenter: string };
}

/**
 * One input channel of a model: a table's rows (`vocabulary`; the lexicon's entity types) × dimension; for the charLm
 * channel each LM's hidden size and input dimension; for outsideLex the list's words, the dimension, and whether the
 * list is marked in the segmenter's dictionary (stored once) rather than stored as its own.
 */
export type ChannelSummary =
  | { vocabulary: number; dim: number }
  | { hidden: number; dim: number }
  | { words: number; dim: number; sharedWithSegmenter: boolean };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sizes of channel `ch` in the header (null when the model does not have it). */
function channelSummary(ch: InputChannel, header: ModelHeader): ChannelSummary | null {
  const a = header.architecture;
  const dim = channelDim(ch, a);
  const size = a[ch.sizeField] ?? 0;
  if (!(dim > 0 && size > 0)) return null;
  // the two channels whose fields are not a table's rows × dimension
  if (ch === CHAR_LM) return { hidden: dim, dim: size }; // dimField charLmHidden, sizeField charLmDim (the LMs' input)
  if (ch === OUTSIDE_LEX) {
    const list = header.outsideLexicon;
    return { words: size, dim, sharedWithSegmenter: isObject(list) && 'segmenterMask' in list };
  }
  return { vocabulary: size, dim };
}

/** The summary of a model from its header, digest and size. */
export function summarizeModel(file: string, header: ModelHeader, sha256: string, bytes: number): ModelSummary {
  const training = isObject(header.training) ? header.training : {};
  const metrics: ModelSummary['metrics'] = {};
  if (isObject(training.metrics)) {
    for (const [split, m] of Object.entries(training.metrics)) {
      if (isObject(m) && (num(m.f1) !== null || num(m.precision) !== null)) metrics[split] = { precision: num(m.precision), recall: num(m.recall), f1: num(m.f1) };
    }
  }
  const a = header.architecture;
  const segmenter = header.segmenter as { kind?: unknown; variant?: unknown };
  return {
    file,
    name: header.name,
    version: header.version,
    sha256,
    bytes,
    created: header.created,
    trained: str(training.date) ?? str(training.trainedAt) ?? str(training.finished) ?? (isObject(header.training) ? header.created : null),
    corpus: str(training.corpus),
    license: str(training.license),
    epochs: num(training.epochs),
    backend: isObject(training.backend) ? str(training.backend.name) : null,
    trainOn: isObject(training.config) ? str(training.config.trainOn) : null,
    types: tagTypes(header.tags.labels),
    labels: header.tags.labels,
    metrics,
    channels: Object.fromEntries(CHANNELS.map((ch) => [ch.name, channelSummary(ch, header)])),
    network: {
      lstm: a.lstm,
      crf: a.crf,
      quantization: header.quantization?.scheme ?? 'none',
      consistency: isObject(header.consistency),
      segmenter: [str(segmenter.kind), str(segmenter.variant)].filter((x) => x !== null).join(' ') || 'none',
    },
  };
}

const figure = (x: number | null): string => formatFigure(x ?? NaN, x !== null);

/** A channel as `cner info` prints it: "char 127×12", "charLm hidden 64, dim 32", "outsideLex 3,803 words×16 (…)". */
function channelText(name: string, c: ChannelSummary): string {
  if ('hidden' in c) return `${name} hidden ${c.hidden}, dim ${c.dim}`;
  if ('words' in c) {
    const list = c.sharedWithSegmenter ? "marked in the segmenter's dictionary" : 'its own list';
    return `${name} ${c.words.toLocaleString('en-US')} words×${c.dim} (${list})`;
  }
  return `${name} ${c.vocabulary}×${c.dim}`;
}

/** The summary as aligned `field  value` lines. */
export function formatModelSummary(s: ModelSummary): string {
  const rows: string[][] = [
    ['file', s.file],
    ['name', `${s.name} ${s.version}`],
    ['sha256', `${s.sha256.slice(0, 12)} (the model's id, as /healthz and /v1/model show it)`],
    ['size', `${s.bytes.toLocaleString('en-US')} bytes (${s.bytes >= 1e6 ? `${(s.bytes / 1e6).toFixed(1)} MB` : `${(s.bytes / 1e3).toFixed(1)} kB`})`],
    ['written', s.created],
    ['trained', s.trained ?? 'not recorded'],
  ];
  if (s.corpus) rows.push(['corpus', s.corpus]);
  if (s.epochs !== null) rows.push(['epochs', String(s.epochs)]);
  if (s.backend !== null) rows.push(['backend', s.backend]);
  rows.push(['labels', `${s.types.join(' ')} (${s.labels.length} BIO tags)`]);
  if (s.trainOn && s.trainOn !== 'train') rows.push(['trained on', s.trainOn === 'all' ? 'every record (trainOn all)' : 'the train and dev parts (trainOn train+dev)']);
  const splits = Object.keys(s.metrics);
  if (splits.length === 0) {
    rows.push(['metrics', s.trainOn === 'all' ? "none of its own: trained on every record (trainOn all); its model card states the selection runs' figures" : 'not recorded']);
  }
  for (const [i, split] of splits.entries()) {
    const m = s.metrics[split];
    rows.push([i === 0 ? 'metrics' : '', `${split}: P ${figure(m.precision)}  R ${figure(m.recall)}  F1 ${figure(m.f1)}`]);
  }
  const channels = Object.entries(s.channels).flatMap(([name, c]) => (c ? [channelText(name, c)] : []));
  rows.push(['channels', channels.join(', ') || 'none']);
  const n = s.network;
  rows.push([
    'network',
    `${n.lstm.length > 0 ? `BiLSTM ${n.lstm.join('/')}` : 'no LSTM'}, ${n.crf ? 'CRF' : 'softmax'}, weights ${n.quantization === 'none' ? 'f32' : n.quantization}, ` +
      `segmenter ${n.segmenter}, consistency table ${n.consistency ? 'yes' : 'no'}`,
  ]);
  const width = Math.max(...rows.map((r) => r[0].length));
  const text = rows.map((r) => `${r[0].padEnd(width)}  ${r[1]}`).join('\n');
  return s.license ? `${text}\n${'terms'.padEnd(width)}  ${s.license}` : text;
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'print the summary of a model file (name, version, hash, labels, metrics, size, channels)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, { min: 0, max: 1, names: 'MODEL' });
    const file = positionals[0] ?? defaultModelPath();
    const bytes = await readInputFile(file, 'model');
    let model;
    try {
      model = await readModelAsync(bytes);
    } catch (e) {
      throw new Error(`${file} is not a usable model file: ${e instanceof Error ? e.message : String(e)}`);
    }
    const summary = summarizeModel(file, model.header, model.sha256, bytes.length);
    out(values.json === true ? JSON.stringify(summary, null, 2) : formatModelSummary(summary));
    return EXIT_OK;
  },
};

export default infoCommand;
