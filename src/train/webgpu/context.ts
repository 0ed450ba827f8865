/// <reference types="@webgpu/types" />
/**
 * GpuContext: the one device and queue of a WebGPU training run, and the few things every shader module needs —
 * labelled buffers (storage, uniform, readback), uploads, a pipeline cache keyed by WGSL source + entry point,
 * `dispatch` (one compute pass, bind group 0 in binding order), submission, and readback of f32 / i32 vectors.
 *
 * Errors: WebGPU reports a WGSL compile error or a validation error asynchronously. Every pipeline is created and
 * every submission is made inside a validation error scope; the scopes' results are collected and `check()` (called
 * by every readback) throws the first one as an Error that names the shader or submission label. So a bad shader
 * surfaces at the latest at the next readback, with its label, never as a silent wrong result.
 *
 * Usage (a module of src/train/webgpu/):
 *   const pipe = ctx.pipeline('adam', WGSL);                    // compiled once per (source, entry point)
 *   const enc = ctx.encoder();
 *   ctx.dispatch(enc, pipe, [ctx.params([n]), params, grads], [Math.ceil(n / 256)]);
 *   ctx.submit(enc, 'step');
 *   const loss = await ctx.readF32(lossBuffer, 1);
 */

import { adapterName } from './adapter.js';

/** A whole buffer, or a byte range of one (offset a multiple of the device's minStorageBufferOffsetAlignment). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

export type Workgroups = number | [number] | [number, number] | [number, number, number];

/** Bytes of a typed array rounded up to 4 (WebGPU copies and buffer sizes are multiples of 4; never 0). */
function paddedSize(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/** WebGPU's usage and map-mode flags (the spec's values), so this file does not need the globals installed. */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ = 0x1;

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The u32 bit pattern of an f32, for passing a float in a `params` uniform (WGSL reads it as an f32 field). */
export function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0];
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly queue: GPUQueue;
  /** the adapter's name (adapter.ts), e.g. "llvmpipe (LLVM 19.1.7, 256 bits)" */
  readonly adapterName: string;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly uniforms = new Map<string, GPUBuffer>();
  /** how many `params` uniforms the cache keeps before it starts over */
  maxCachedParams = 8192;
  /** uniforms dropped from the cache; an encoder not yet submitted may use them, so they go after the next submit */
  private retired: GPUBuffer[] = [];
  private pending: Promise<Error | null>[] = [];
  private lostReason: string | null = null;

  constructor(device: GPUDevice, adapterName = 'unknown adapter') {
    this.device = device;
    this.queue = device.queue;
    this.adapterName = adapterName;
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.lostReason = info.message || String(info.reason);
    });
  }

  /** A device on `adapter` with the adapter's largest buffer, binding and workgroup-memory limits. */
  static async create(adapter: GPUAdapter): Promise<GpuContext> {
    const l = adapter.limits;
    const device = await adapter.requestDevice({
      label: 'cner-train',
      requiredLimits: {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      },
    });
    return new GpuContext(device, adapterName(adapter.info));
  }

  // ── buffers ────────────────────────────────────────────────────────────────────────────────────────────────

  /** A storage buffer (readable/writable by shaders, copy source and target): `bytes` zeroed, or a copy of `data`. */
  storage(label: string, init: number | Float32Array | Int32Array | Uint32Array): GPUBuffer {
    const usage = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
    if (typeof init === 'number') {
      if (!(Number.isInteger(init) && init >= 0))
        throw new Error(`storage ${label}: expected a byte size ≥ 0, got ${init}`);
      return this.device.createBuffer({ label, size: paddedSize(init), usage });
    }
    const buf = this.device.createBuffer({ label, size: paddedSize(init.byteLength), usage, mappedAtCreation: true });
    new Uint8Array(buf.getMappedRange()).set(new Uint8Array(init.buffer, init.byteOffset, init.byteLength));
    buf.unmap();
    return buf;
  }

  /** A storage buffer of `n` f32 (zeroed). */
  f32(label: string, n: number): GPUBuffer {
    return this.storage(label, 4 * n);
  }

  /** A uniform buffer holding `data` (its contents may be replaced with `write`). */
  uniform(label: string, data: Uint32Array | Int32Array | Float32Array): GPUBuffer {
    const buf = this.device.createBuffer({
      label,
      size: paddedSize(data.byteLength),
      usage: USAGE.UNIFORM | USAGE.COPY_DST,
      mappedAtCreation: true,
    });
    new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buf.unmap();
    return buf;
  }

  /**
   * A uniform of u32 words (shapes, offsets; floats through `f32Bits`), shared by every dispatch that passes the
   * same words: cached by content, so a loop over time steps makes each step's uniform once per run, not per step.
   * WGSL side: a struct of u32 / i32 / f32 fields in the same order (16-byte multiple; the buffer is padded).
   */
  params(words: ArrayLike<number>): GPUBuffer {
    const data = new Uint32Array(Math.max(4, Math.ceil(words.length / 4) * 4));
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (!Number.isInteger(w) || w < -0x80000000 || w > 0xffffffff)
        throw new Error(`params: expected 32-bit integer words, got ${w} at ${i}`);
      data[i] = w >>> 0;
    }
    const key = data.join(',');
    let buf = this.uniforms.get(key);
    if (!buf) {
      if (this.uniforms.size >= this.maxCachedParams) {
        this.retired.push(...this.uniforms.values());
        this.uniforms.clear();
      }
      buf = this.uniform(`params(${key})`, data);
      this.uniforms.set(key, buf);
    }
    return buf;
  }

  /** Frees the cached `params` uniforms (call with no encoder open). */
  clearParams(): void {
    for (const b of [...this.uniforms.values(), ...this.retired]) b.destroy();
    this.uniforms.clear();
    this.retired = [];
  }

  /** Copies `data` into `buffer` at `byteOffset` (queued; ordered before later submissions). */
  write(buffer: GPUBuffer, data: Float32Array | Int32Array | Uint32Array, byteOffset = 0): void {
    if (data.byteLength === 0) return;
    if (data.byteLength % 4 !== 0)
      throw new Error(`write ${buffer.label}: expected a multiple of 4 bytes, got ${data.byteLength}`);
    if (byteOffset + data.byteLength > buffer.size)
      throw new Error(
        `write ${buffer.label}: ${data.byteLength} bytes at ${byteOffset} overrun its ${buffer.size} bytes`,
      );
    this.queue.writeBuffer(buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  // ── pipelines and dispatch ─────────────────────────────────────────────────────────────────────────────────

  /**
   * The compute pipeline of `entry` in `code`, compiled once per (source, entry point). A compile or validation
   * error is thrown by the next `check()` / readback as "WebGPU: shader <label> (<entry>): <message>".
   */
  pipeline(label: string, code: string, entry = 'main'): GPUComputePipeline {
    const key = `${entry}\u0000${code}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code });
    const pipe = device.createComputePipeline({
      label: `${label}:${entry}`,
      layout: 'auto',
      compute: { module, entryPoint: entry },
    });
    const scope = device.popErrorScope();
    this.pending.push(
      scope.then(async (err) => {
        if (!err) return null;
        const info = await module.getCompilationInfo();
        const lines = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `line ${m.lineNum}:${m.linePos} ${m.message}`);
        return new Error(`WebGPU: shader ${label} (${entry}): ${lines.length ? lines.join('; ') : err.message}`);
      }),
    );
    this.pipelines.set(key, pipe);
    return pipe;
  }

  /** A command encoder; finish it with `submit`. */
  encoder(label = 'step'): GPUCommandEncoder {
    this.device.pushErrorScope('validation');
    return this.device.createCommandEncoder({ label });
  }

  /**
   * One dispatch of `pipeline` with `bindings` as @group(0) @binding(0, 1, …) in order. `target` is a command
   * encoder (a compute pass of its own is begun and ended) or an open compute pass (dispatches in one pass are
   * still ordered: each dispatch sees the storage writes of the ones before it).
   */
  dispatch(
    target: GPUCommandEncoder | GPUComputePassEncoder,
    pipeline: GPUComputePipeline,
    bindings: Binding[],
    workgroups: Workgroups,
  ): void {
    const [x, y = 1, z = 1] = typeof workgroups === 'number' ? [workgroups] : workgroups;
    if (x === 0 || y === 0 || z === 0) return; // nothing to do (empty batch or dimension)
    const entries: GPUBindGroupEntry[] = bindings.map((b, binding) =>
      'buffer' in b
        ? { binding, resource: { buffer: b.buffer, offset: b.offset, size: b.size } }
        : { binding, resource: { buffer: b as GPUBuffer } },
    );
    const group = this.device.createBindGroup({
      label: pipeline.label,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    const own = 'beginComputePass' in target;
    const pass = own
      ? (target as GPUCommandEncoder).beginComputePass({ label: pipeline.label })
      : (target as GPUComputePassEncoder);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (own) pass.end();
  }

  /** Submits `encoder`; a validation error in it is thrown by the next `check()` with the label. */
  submit(encoder: GPUCommandEncoder, label = encoder.label): void {
    this.queue.submit([encoder.finish()]);
    for (const b of this.retired) b.destroy(); // safe once submitted: destroy waits for the queued work
    this.retired = [];
    const scope = this.device.popErrorScope();
    this.pending.push(scope.then((err) => (err ? new Error(`WebGPU: ${label}: ${err.message}`) : null)));
  }

  /** Throws the first error of the pipelines and submissions made so far (and a lost device). */
  async check(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const errors = await Promise.all(pending);
    if (this.lostReason) throw new Error(`WebGPU: device lost: ${this.lostReason}`);
    const first = errors.find((e) => e !== null);
    if (first) throw first;
  }

  // ── readback ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Copy of `count` 4-byte words of `buffer` from word `offset` (waits for the queue; throws pending errors). */
  async readBytes(buffer: GPUBuffer, count: number, offset = 0): Promise<ArrayBuffer> {
    if (!(Number.isInteger(count) && count >= 0 && Number.isInteger(offset) && offset >= 0))
      throw new Error(`read ${buffer.label}: expected whole counts, got ${count} at ${offset}`);
    if (4 * (offset + count) > buffer.size)
      throw new Error(`read ${buffer.label}: ${count} words at ${offset} overrun its ${buffer.size} bytes`);
    if (count === 0) {
      await this.check();
      return new ArrayBuffer(0);
    }
    const staging = this.device.createBuffer({
      label: `read ${buffer.label}`,
      size: 4 * count,
      usage: USAGE.MAP_READ | USAGE.COPY_DST,
    });
    try {
      const enc = this.encoder(`read ${buffer.label}`);
      enc.copyBufferToBuffer(buffer, 4 * offset, staging, 0, 4 * count);
      this.submit(enc);
      await this.check();
      await staging.mapAsync(MAP_READ);
      return staging.getMappedRange().slice(0);
    } finally {
      staging.destroy();
    }
  }

  async readF32(buffer: GPUBuffer, count = buffer.size / 4, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.readBytes(buffer, count, offset));
  }

  async readI32(buffer: GPUBuffer, count = buffer.size / 4, offset = 0): Promise<Int32Array> {
    return new Int32Array(await this.readBytes(buffer, count, offset));
  }

  /** Waits until the queue has run everything submitted so far, then throws any pending error. */
  async sync(): Promise<void> {
    await this.queue.onSubmittedWorkDone();
    await this.check();
  }

  /** Frees the cached uniforms and the device (its buffers with it). */
  destroy(): void {
    this.clearParams();
    this.pipelines.clear();
    this.device.destroy();
  }
}
