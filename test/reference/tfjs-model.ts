/**
 * The same BiLSTM (+ dense) network built in TensorFlow.js Layers, from layout.ts weights — an independent
 * implementation for parity tests and the benchmark peer. Keras layouts: kernel [in × 4H] = W_ihᵀ,
 * recurrent_kernel [H × 4H] = W_hhᵀ, bias [4H]; gate order i, f, c(=g), o, the same as layout.ts.
 * tfjs's LSTM defaults to recurrentActivation 'hardSigmoid': set 'sigmoid' explicitly.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { type Architecture, type Weights, lstmName } from '../../src/model/layout.js';
import { values } from './weights.js';

let ready: Promise<void> | null = null;
/** Switches tfjs to the wasm backend (SIMD, single thread in Node). */
export function useWasmBackend(): Promise<void> {
  ready ??= (async () => {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tfjs: the wasm backend did not initialise');
    await tf.ready();
  })();
  return ready;
}

function transpose(m: Float64Array, rows: number, cols: number): tf.Tensor2D {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return tf.tensor2d(t, [cols, rows]);
}

export interface TfjsNetwork {
  model: tf.LayersModel;
  /** emissions [B × T × K] for B sentences of the same length T */
  emissions(charIds: Int32Array[], wordIds: Int32Array[]): Float32Array[];
  dispose(): void;
}

/** Builds embeddings → BiLSTM layers → dense as a tfjs functional model with the given weights. */
export function tfjsNetwork(arch: Architecture, w: Weights): TfjsNetwork {
  const inputs: tf.SymbolicTensor[] = [];
  const parts: tf.SymbolicTensor[] = [];
  const embLayers: [tf.layers.Layer, string, number, number][] = [];
  if (arch.charDim > 0) {
    const inp = tf.input({ shape: [null], dtype: 'int32', name: 'chars' });
    const e = tf.layers.embedding({ inputDim: arch.charVocab, outputDim: arch.charDim });
    inputs.push(inp);
    parts.push(e.apply(inp) as tf.SymbolicTensor);
    embLayers.push([e, 'embed.char', arch.charVocab, arch.charDim]);
  }
  if (arch.wordDim > 0) {
    const inp = tf.input({ shape: [null], dtype: 'int32', name: 'words' });
    const e = tf.layers.embedding({ inputDim: arch.wordVocab, outputDim: arch.wordDim });
    inputs.push(inp);
    parts.push(e.apply(inp) as tf.SymbolicTensor);
    embLayers.push([e, 'embed.word', arch.wordVocab, arch.wordDim]);
  }
  let x = parts.length === 2 ? (tf.layers.concatenate().apply(parts) as tf.SymbolicTensor) : parts[0];
  const bi: tf.layers.Layer[] = [];
  for (const H of arch.lstm) {
    const layer = tf.layers.bidirectional({
      layer: tf.layers.lstm({
        units: H, returnSequences: true, activation: 'tanh', recurrentActivation: 'sigmoid',
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros', // overwritten below (skips slow orthogonal init)
      }) as tf.RNN,
      mergeMode: 'concat',
    });
    x = layer.apply(x) as tf.SymbolicTensor;
    bi.push(layer);
  }
  const dense = tf.layers.dense({ units: arch.tags });
  const out = dense.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: out });

  for (const [layer, name, v, d] of embLayers) layer.setWeights([tf.tensor2d(Float32Array.from(values(w, name)), [v, d])]);
  let inSize = arch.charDim + arch.wordDim;
  arch.lstm.forEach((H, l) => {
    const ws: tf.Tensor[] = [];
    for (const dir of ['fw', 'bw'] as const) {
      ws.push(transpose(values(w, lstmName(l, dir, 'w_ih')), 4 * H, inSize)); // [in × 4H]
      ws.push(transpose(values(w, lstmName(l, dir, 'w_hh')), 4 * H, H)); //     [H × 4H]
      ws.push(tf.tensor1d(Float32Array.from(values(w, lstmName(l, dir, 'bias'))))); // [4H]
    }
    bi[l].setWeights(ws);
    inSize = 2 * H;
  });
  dense.setWeights([transpose(values(w, 'dense.w'), arch.tags, inSize), tf.tensor1d(Float32Array.from(values(w, 'dense.b')))]);

  return {
    model,
    emissions(charIds, wordIds) {
      const B = charIds.length;
      const T = charIds[0].length;
      return tf.tidy(() => {
        const feeds: tf.Tensor[] = [];
        const pack = (ids: Int32Array[]) => {
          const a = new Int32Array(B * T);
          ids.forEach((s, b) => a.set(s, b * T));
          return tf.tensor2d(a, [B, T], 'int32');
        };
        if (arch.charDim > 0) feeds.push(pack(charIds));
        if (arch.wordDim > 0) feeds.push(pack(wordIds));
        const y = model.predict(feeds.length === 1 ? feeds[0] : feeds) as tf.Tensor;
        const data = y.dataSync() as Float32Array;
        const K = arch.tags;
        return Array.from({ length: B }, (_, b) => data.slice(b * T * K, (b + 1) * T * K));
      });
    },
    dispose() {
      model.dispose();
    },
  };
}
