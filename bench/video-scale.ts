/**
 * Bench: the cost of `?size=WxH` (agent/video/frame-scaler.ts) — scaling one RGB24 frame to the
 * client's 1024×768 with sharp, per source mode and kernel, as CPU (all of libvips' threads, from
 * process.cpuUsage) and wall time per frame. The shipped path (FrameScaler, bilinear) first, then
 * other kernels as yardsticks (Lanczos 3 is sharp's default). Every frame is a new one, as in a stream
 * (the scaler scales each frame and size once). Run: `npm run build && node dist/bench/video-scale.js`.
 */
import sharp from 'sharp';
import type { Frame } from '../agent/video/frame';
import { FrameScaler, type FrameSize } from '../agent/video/frame-scaler';

const TARGET: FrameSize = { width: 1024, height: 768 };
const SOURCES: FrameSize[] = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 1024 },
  { width: 1280, height: 720 },
];
const FRAMES = 40;
const REPEATS = 5;
const KERNELS = ['lanczos3', 'cubic', 'nearest'] as const;

function frame(size: FrameSize, seed: number): Frame {
  const rgb = Buffer.allocUnsafe(size.width * size.height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + seed) & 0xff;
  return { ...size, rgb, sequence: seed, capturedAt: 0, online: true };
}

/** Median CPU and wall ms per call over REPEATS runs of FRAMES calls, after a warm-up. */
async function measure(scale: (f: Frame) => Promise<unknown>, frames: Frame[]): Promise<{ cpu: number; wall: number }> {
  for (const f of frames.slice(0, 5)) await scale(f);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < FRAMES; i++) await scale({ ...frames[i % frames.length]! });
    const c = process.cpuUsage(c0);
    wall.push((performance.now() - t0) / FRAMES);
    cpu.push((c.user + c.system) / 1000 / FRAMES);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { cpu: median(cpu), wall: median(wall) };
}

async function main(): Promise<void> {
  console.log(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}; ${FRAMES} frames × ${REPEATS} runs, medians`);
  console.log('source      kernel         CPU ms/frame  wall ms/frame  CPU at 4 fps');
  for (const source of SOURCES) {
    const frames = Array.from({ length: 4 }, (_, i) => frame(source, i));
    const rows: Array<[string, { cpu: number; wall: number }]> = [];
    const scaler = new FrameScaler();
    // A copy of the Frame object per call: the scaler keeps one result per frame object and size.
    rows.push(['linear*', await measure((f) => Promise.resolve(scaler.scaled(f, TARGET)), frames)]);
    for (const kernel of KERNELS) {
      rows.push([
        kernel,
        await measure(
          (f) => sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } }).resize(TARGET.width, TARGET.height, { fit: 'fill', kernel }).raw().toBuffer(),
          frames,
        ),
      ]);
    }
    for (const [name, r] of rows) {
      const mode = `${source.width}x${source.height}`.padEnd(12);
      console.log(`${mode}${name.padEnd(15)}${r.cpu.toFixed(1).padStart(12)}${r.wall.toFixed(1).padStart(15)}${`${((r.cpu * 4) / 10).toFixed(1)} %`.padStart(14)}`);
    }
  }
  console.log('* shipped (FrameScaler, bilinear); CPU at 4 fps = share of one core');
}

void main();
