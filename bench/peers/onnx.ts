/**
 * Writes a cner network (layout.ts weights) as an ONNX model, for the onnxruntime peers of `npm run bench:peers`:
 * a small protobuf writer (only the fields used here: onnx.proto's ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto) and the graph
 *
 *   chars, words int64 [T × B] → Gather (embeddings) → Concat → per layer: LSTM (bidirectional, Y [T × 2 × B × H])
 *   → Transpose [T × B × 2 × H] → Reshape [T × B × 2H] → MatMul + Add (dense) → emissions f32 [T × B × tags]
 *
 * ONNX's LSTM gate order is i, o, f, c; layout.ts's is i, f, g (= c), o. Its bias is [Wb (4H) | Rb (4H)]: layout.ts
 * stores b_ih + b_hh in one vector, written as Wb with Rb zero. Weights are written as f32 (int8 tensors
 * dequantised), so the peers run the f32 network.
 */
import { type Architecture, lstmName, type Weights } from '../../src/model/layout.js';
import { values } from '../../test/reference/weights.js';

// ---------------------------------------------------------------- protobuf wire format

class Writer {
  private bytes: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
    return this;
  }

  /** field with wire type 0 (varint) */
  int(field: number, v: number | bigint): this {
    return this.varint((field << 3) | 0).varint(v);
  }

  /** field with wire type 2 (length-delimited): bytes, a string or an embedded message */
  bytesField(field: number, data: Uint8Array | string | Writer): this {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data instanceof Writer ? data.finish() : data;
    this.varint((field << 3) | 2).varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1;
const INT64 = 7;

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian) */
function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Writer {
  const t = new Writer();
  for (const d of dims) t.int(1, d);
  t.int(2, data instanceof Float32Array ? FLOAT : INT64);
  t.bytesField(8, name);
  t.bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return t;
}

type Attr = number | string | number[];

/** AttributeProto: name 1, i 3, s 4, ints 8, type 20 (INT 2, STRING 3, INTS 7) */
function attribute(name: string, v: Attr): Writer {
  const a = new Writer().bytesField(1, name);
  if (typeof v === 'number') a.int(3, v).int(20, 2);
  else if (typeof v === 'string') a.bytesField(4, v).int(20, 3);
  else {
    for (const x of v) a.int(8, x);
    a.int(20, 7);
  }
  return a;
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5 */
function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): Writer {
  const n = new Writer();
  for (const i of inputs) n.bytesField(1, i);
  for (const o of outputs) n.bytesField(2, o);
  n.bytesField(3, `${op}_${outputs[0]}`).bytesField(4, op);
  for (const [k, v] of Object.entries(attrs)) n.bytesField(5, attribute(k, v));
  return n;
}

/** ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_param 2 */
function valueInfo(name: string, elemType: number, dims: string[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.bytesField(1, new Writer().bytesField(2, d));
  const tensorType = new Writer().int(1, elemType).bytesField(2, shape);
  return new Writer().bytesField(1, name).bytesField(2, new Writer().bytesField(1, tensorType));
}

// ---------------------------------------------------------------- the graph

/** rows r of a [rows × cols] matrix, in ONNX's gate order from layout.ts's: block q of ONNX is block GATE[q] of ours */
const GATE = [0, 3, 1, 2];
function gatesReordered(m: Float64Array, H: number, cols: number): Float32Array {
  const out = new Float32Array(4 * H * cols);
  for (let q = 0; q < 4; q++)
    out.set(Float32Array.from(m.subarray(GATE[q] * H * cols, (GATE[q] + 1) * H * cols)), q * H * cols);
  return out;
}

/** The ONNX model (opset 17) of `arch` with weights `w`: inputs chars, words (int64 [T × B]), output emissions. */
export function exportOnnx(arch: Architecture, w: Weights): Uint8Array {
  if (arch.charDim === 0 || arch.wordDim === 0 || arch.lstm.length === 0) {
    throw new Error('exportOnnx: expected char and word embeddings and at least one LSTM layer');
  }
  const graph = new Writer().bytesField(2, 'cner');
  const nodes: Writer[] = [];
  const inits: Writer[] = [];
  const f32 = (name: string, dims: number[], data: Float32Array) => inits.push(tensor(name, dims, data));

  f32('embed.char', [arch.charVocab, arch.charDim], Float32Array.from(values(w, 'embed.char')));
  f32('embed.word', [arch.wordVocab, arch.wordDim], Float32Array.from(values(w, 'embed.word')));
  nodes.push(node('Gather', ['embed.char', 'chars'], ['ec'], { axis: 0 }));
  nodes.push(node('Gather', ['embed.word', 'words'], ['ew'], { axis: 0 }));
  nodes.push(node('Concat', ['ec', 'ew'], ['x0'], { axis: 2 }));
  inits.push(tensor('shape_tb_', [3], BigInt64Array.from([0n, 0n, -1n])));

  let x = 'x0';
  let inSize = arch.charDim + arch.wordDim;
  arch.lstm.forEach((H, l) => {
    const W = new Float32Array(2 * 4 * H * inSize);
    const R = new Float32Array(2 * 4 * H * H);
    const B = new Float32Array(2 * 8 * H);
    (['fw', 'bw'] as const).forEach((dir, d) => {
      W.set(gatesReordered(values(w, lstmName(l, dir, 'w_ih')), H, inSize), d * 4 * H * inSize);
      R.set(gatesReordered(values(w, lstmName(l, dir, 'w_hh')), H, H), d * 4 * H * H);
      B.set(gatesReordered(values(w, lstmName(l, dir, 'bias')), H, 1), d * 8 * H); // Rb stays zero
    });
    f32(`W${l}`, [2, 4 * H, inSize], W);
    f32(`R${l}`, [2, 4 * H, H], R);
    f32(`B${l}`, [2, 8 * H], B);
    nodes.push(node('LSTM', [x, `W${l}`, `R${l}`, `B${l}`], [`y${l}`], { hidden_size: H, direction: 'bidirectional' }));
    nodes.push(node('Transpose', [`y${l}`], [`t${l}`], { perm: [0, 2, 1, 3] }));
    nodes.push(node('Reshape', [`t${l}`, 'shape_tb_'], [`x${l + 1}`]));
    x = `x${l + 1}`;
    inSize = 2 * H;
  });
  // dense: x [T × B × in] · Wᵀ [in × tags] + b
  const dw = values(w, 'dense.w');
  const wt = new Float32Array(inSize * arch.tags);
  for (let n = 0; n < arch.tags; n++) for (let c = 0; c < inSize; c++) wt[c * arch.tags + n] = dw[n * inSize + c];
  f32('dense.wt', [inSize, arch.tags], wt);
  f32('dense.b', [arch.tags], Float32Array.from(values(w, 'dense.b')));
  nodes.push(node('MatMul', [x, 'dense.wt'], ['logits']));
  nodes.push(node('Add', ['logits', 'dense.b'], ['emissions']));

  for (const n of nodes) graph.bytesField(1, n);
  for (const t of inits) graph.bytesField(5, t);
  graph.bytesField(11, valueInfo('chars', INT64, ['T', 'B']));
  graph.bytesField(11, valueInfo('words', INT64, ['T', 'B']));
  graph.bytesField(12, valueInfo('emissions', FLOAT, ['T', 'B', 'tags']));
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2)
  return new Writer()
    .int(1, 8)
    .bytesField(2, 'cner bench/peers')
    .bytesField(7, graph)
    .bytesField(8, new Writer().bytesField(1, '').int(2, 17))
    .finish();
}
