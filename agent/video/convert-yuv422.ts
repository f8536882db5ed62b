/**
 * 4:2:2 packed YUV (UYVY, YUYV) → RGB24 through the WebAssembly SIMD kernel of convert-yuv422.c
 * (embedded in convert-yuv422-wasm.ts; rebuild with `node dist/bench/build-yuv422-wasm.js`, and a
 * unit test checks the embedded bytes are that build). Same integer BT.601 formula as convert.ts's
 * header, bit for bit.
 *
 * A WebAssembly module only reads and writes its own memory, so frames go through it in bands of
 * rows: copy a band of source rows in, convert, copy the RGB rows out. Bands of ~256 KiB keep both
 * copies and the kernel's reads and writes in the CPU cache and the module's memory small (it only
 * grows to the largest band seen). Any input alignment, odd `byteOffset` or padded stride is fine:
 * the kernel uses unaligned vector loads.
 *
 * 1024×768 UYVY on the x86_64 build VM: ≈ 0.7–0.9 ms, against ≈ 3.0 ms for the previous JS byte loop
 * and ≈ 2.1 ms for the best JS variant measured (bench/video-convert.ts). WebAssembly SIMD needs
 * SSE4.1 on x86 and NEON on ARM (every Raspberry Pi PiKVM supports, armv7h and aarch64).
 */
import { AgentError } from '../errors';
import { YUV422_WASM_BASE64 } from './convert-yuv422-wasm';

/** The few WebAssembly JS-API members used here (the project's `lib` has no DOM typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface Yuv422Exports {
  memory: WasmMemory;
  __heap_base: { value: number };
  yuv422_to_rgb24(src: number, stride: number, dst: number, width: number, height: number, yFirst: number): void;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

const WASM_PAGE = 65536;
/** Source + RGB bytes per band: well inside the L2 cache of a Raspberry Pi 3 / 4 (512 KiB / 1 MiB). */
const BAND_BYTES = 256 * 1024;

interface Kernel {
  exports: Yuv422Exports;
  /** first free byte after the kernel's stack, 16-aligned */
  base: number;
  /** view of the module memory; replaced when the memory grows (growing detaches the old buffer) */
  heap: Uint8Array;
}

let kernel: Kernel | undefined;

function loadKernel(): Kernel {
  if (kernel) return kernel;
  try {
    const module = new WebAssembly.Module(Buffer.from(YUV422_WASM_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, {}).exports as Yuv422Exports;
    const base = (exports.__heap_base.value + 15) & ~15;
    kernel = { exports, base, heap: new Uint8Array(exports.memory.buffer) };
    return kernel;
  } catch (e) {
    throw new AgentError('not-supported', `YUV conversion needs WebAssembly SIMD: ${(e as Error).message}`, e);
  }
}

/** The module memory as a byte view at least `bytes` long. */
function heapOf(k: Kernel, bytes: number): Uint8Array {
  const memory = k.exports.memory;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / WASM_PAGE));
  if (k.heap.buffer !== memory.buffer) k.heap = new Uint8Array(memory.buffer);
  return k.heap;
}

const align16 = (n: number): number => (n + 15) & ~15;

/**
 * Convert `height` rows of `width` (even) pixels, rows `stride` bytes apart in `input`, into
 * `out` as packed RGB24 (`width*height*3` bytes). `yFirst` selects YUYV over UYVY. The caller has
 * checked that `input` holds `stride*(height-1) + width*2` bytes.
 */
export function convertYuv422(input: Uint8Array, width: number, height: number, stride: number, yFirst: boolean, out: Uint8Array): void {
  const k = loadKernel();
  const rowIn = width * 2;
  const rowOut = width * 3;
  const bandRows = Math.max(1, Math.min(height, Math.floor(BAND_BYTES / (stride + rowOut))));
  const src = k.base;
  const dst = src + align16(stride * bandRows);
  const heap = heapOf(k, dst + rowOut * bandRows);
  const layout = yFirst ? 1 : 0;
  for (let row = 0; row < height; row += bandRows) {
    const rows = Math.min(bandRows, height - row);
    const first = row * stride;
    // the last row of the frame may end without its padding: copy only up to its last pixel
    heap.set(input.subarray(first, first + stride * (rows - 1) + rowIn), src);
    k.exports.yuv422_to_rgb24(src, stride, dst, width, rows, layout);
    out.set(heap.subarray(dst, dst + rowOut * rows), row * rowOut);
  }
}
