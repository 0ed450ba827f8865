/**
 * The WebGPU adapter for the trainer, through the optional peer package `webgpu` (Dawn in Node).
 *
 * `webgpu` is loaded lazily, on the first call, so that nothing else of the library needs it: it is a
 * devDependency and an optional peerDependency; without it `findWebGpuAdapter` answers a reason that says
 * `npm install webgpu`.
 *
 * Which adapter Dawn sees is decided by the Vulkan loader on Linux: it reads every ICD json of
 * /usr/share/vulkan/icd.d (Mesa's lavapipe, "llvmpipe", a software GPU, is one) unless VK_ICD_FILENAMES or
 * VK_DRIVER_FILES names the ICD(s) to use. This file never sets those variables: the caller's environment decides.
 * Dawn prints two warnings to stderr when it opens an adapter ("maxDynamicUniformBuffersPerPipelineLayout
 * artificially reduced ..."): they are harmless (the trainer uses no dynamic buffer offsets).
 */

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** An adapter and what it is. */
export interface WebGpuAdapter {
  adapter: GPUAdapter;
  /** vendor / architecture / device / description joined, e.g. "NVIDIA H200 (nvidia, hopper)" */
  name: string;
  /** a CPU implementation (lavapipe's llvmpipe, SwiftShader, or an adapter Dawn calls a fallback) */
  software: boolean;
}

/** The part of the `webgpu` module this file uses. */
interface WebGpuModule {
  create(options: string[]): GPU;
  globals: object;
}

const INSTALL_HINT = 'the optional package webgpu is not installed; npm install webgpu to train on WebGPU';

let gpuPromise: Promise<GPU | string> | null = null;

/** Dawn's GPU object, made once per process, or the reason it cannot be had. */
function loadGpu(): Promise<GPU | string> {
  gpuPromise ??= import('webgpu').then(
    (mod: WebGpuModule) => {
      Object.assign(globalThis, mod.globals);
      return mod.create([]);
    },
    (e: unknown) => {
      const code = (e as { code?: unknown }).code;
      const message = String((e as Error).message);
      if (code === 'ERR_MODULE_NOT_FOUND' && message.includes("'webgpu'")) return INSTALL_HINT;
      return `webgpu (Dawn) failed to load on ${process.platform}-${process.arch}: ${message}`;
    },
  );
  return gpuPromise;
}

/** Joins the adapter's vendor, architecture, device and description into one readable name. */
export function adapterName(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  const primary = info.description.trim() || info.device.trim();
  const extra = [info.vendor, info.architecture]
    .map((s) => s.trim())
    .filter((s) => s !== '' && !primary.toLowerCase().includes(s.toLowerCase()));
  if (primary === '') return extra.length > 0 ? extra.join(' ') : 'unknown adapter';
  return extra.length > 0 ? `${primary} (${extra.join(', ')})` : primary;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|\bsoftware\b/i;

/** True for a CPU implementation of WebGPU: a fallback adapter, llvmpipe/lavapipe or SwiftShader. */
function isSoftwareAdapter(
  info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'> & { isFallbackAdapter?: boolean },
): boolean {
  if (info.isFallbackAdapter === true) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => SOFTWARE.test(s));
}

/** Why no adapter was found: names the Vulkan driver variables when they are set. */
function noAdapterReason(): string {
  const named = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES']
    .filter((v) => process.env[v])
    .map((v) => `${v}=${process.env[v]}`);
  const where = named.length > 0 ? `the driver(s) named by ${named.join(' ')}` : 'any Vulkan driver (ICD)';
  return `no WebGPU adapter: the Vulkan loader could not open ${where}; a GPU needs its vendor's Vulkan driver, a CPU-only machine Mesa's lavapipe (mesa-vulkan-drivers)`;
}

/**
 * Asks Dawn for an adapter (high-performance by default). Answers the adapter with its name and whether it is
 * software, or a string saying why there is none (webgpu not installed, Dawn not loadable, no Vulkan driver).
 * Every call asks anew: a GPUAdapter gives out one device.
 */
export async function findWebGpuAdapter(
  powerPreference: GPUPowerPreference = 'high-performance',
): Promise<WebGpuAdapter | string> {
  const gpu = await loadGpu();
  if (typeof gpu === 'string') return gpu;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference });
  } catch (e) {
    return `no WebGPU adapter: requestAdapter failed: ${(e as Error).message}`;
  }
  if (adapter === null) return noAdapterReason();
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    adapter,
    name: adapterName(info),
    software: isSoftwareAdapter({ ...pickInfo(info), isFallbackAdapter: info.isFallbackAdapter ?? legacy }),
  };
}

function pickInfo(info: GPUAdapterInfo): Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'> {
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

/** Like findWebGpuAdapter, but throws the reason when there is no adapter. */
export async function requireWebGpuAdapter(powerPreference?: GPUPowerPreference): Promise<WebGpuAdapter> {
  const found = await findWebGpuAdapter(powerPreference);
  if (typeof found === 'string') throw new Error(found);
  return found;
}

let skipReason: Promise<string | null> | null = null;

/**
 * For tests: null when a WebGPU adapter (software or not) can be had, else the reason to skip with.
 * Asked once per process.
 */
export function webgpuSkipReason(): Promise<string | null> {
  skipReason ??= findWebGpuAdapter().then((found) => (typeof found === 'string' ? found : null));
  return skipReason;
}

/** What a probe found: the adapter's name and whether it is software, without the adapter itself. */
export type AdapterProbe = Pick<WebGpuAdapter, 'name' | 'software'>;

/** The probe's child: asks for an adapter the way findWebGpuAdapter does and prints what it found as JSON. */
const PROBE_SCRIPT = `
const [url, pref] = process.argv.slice(-2);
const mod = await import(url);
Object.assign(globalThis, mod.globals);
const adapter = await mod.create([]).requestAdapter({ powerPreference: pref });
const info = adapter && adapter.info;
process.stdout.write(JSON.stringify(adapter === null ? null : {
  vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
  isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
}));
process.exit(0);
`;

/**
 * Which adapter findWebGpuAdapter would find, asked in a short-lived child process (about 0.2 s), so that a run
 * that ends up on wasm ('auto' without a real GPU) never loads Dawn into this process and never shows the warnings
 * Dawn prints to stderr when it opens an adapter. Answers the adapter's name and kind, or the reason there is none.
 */
export async function probeWebGpuAdapter(
  powerPreference: GPUPowerPreference = 'high-performance',
  timeoutMs = 30_000,
): Promise<AdapterProbe | string> {
  let url: string;
  try {
    url = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return INSTALL_HINT;
  }
  const args = ['--input-type=module', '-e', PROBE_SCRIPT, '--', url, powerPreference];
  const out = await new Promise<{ stdout: string; error: string | null }>((resolve) => {
    execFile(process.execPath, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      const lastLine =
        String(stderr)
          .trim()
          .split('\n')
          .filter((l) => !/^Warning: /.test(l))
          .pop() ?? '';
      resolve({ stdout: String(stdout), error: err ? lastLine || err.message : null });
    });
  });
  if (out.error !== null) return `webgpu (Dawn) failed to load on ${process.platform}-${process.arch}: ${out.error}`;
  let info: (Parameters<typeof isSoftwareAdapter>[0] & object) | null;
  try {
    info = JSON.parse(out.stdout);
  } catch {
    return `webgpu (Dawn): the adapter probe answered no JSON`;
  }
  if (info === null) return noAdapterReason();
  return { name: adapterName(info), software: isSoftwareAdapter(info) };
}
