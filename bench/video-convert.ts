/**
 * Bench: UYVY → RGB24 conversion of 1024×768 frames, our JS loop against ffmpeg doing the same
 * conversion (`-f rawvideo -pix_fmt uyvy422 … -pix_fmt rgb24`, CPU from `-benchmark`), plus the
 * NUT and PPM framing cost. Run: `npx ts-node-transpile-only bench/video-convert.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertRawToRgb24 } from '../agent/video/convert';
import { NutMuxer } from '../agent/video/nut/muxer';

const W = 1024;
const H = 768;
const FRAMES = 200;

function uyvyFrame(seed: number): Buffer {
  const b = Buffer.allocUnsafe(W * H * 2);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

const input = uyvyFrame(1);
const out = Buffer.allocUnsafe(W * H * 3);
for (let i = 0; i < 30; i++) convertRawToRgb24(input, { format: 'UYVY', width: W, height: H }, out); // warm-up
const oursCpu = cpuMs(() => {
  for (let i = 0; i < FRAMES; i++) convertRawToRgb24(input, { format: 'UYVY', width: W, height: H }, out);
}) / FRAMES;

const muxer = new NutMuxer({ width: W, height: H });
muxer.header();
const nutCpu = cpuMs(() => {
  for (let i = 0; i < FRAMES; i++) muxer.frameHeader(i * 50, out.length);
}) / FRAMES;

let ffmpegCpu = NaN;
const dir = mkdtempSync(join(tmpdir(), 'bench-'));
try {
  const file = join(dir, 'in.uyvy');
  writeFileSync(file, Buffer.concat(Array.from({ length: 50 }, (_, i) => uyvyFrame(i))));
  const r = spawnSync('ffmpeg', ['-benchmark', '-v', 'info', '-f', 'rawvideo', '-pix_fmt', 'uyvy422', '-s', `${W}x${H}`, '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null']);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(r.stderr.toString());
  if (m) ffmpegCpu = ((Number(m[1]) + Number(m[2])) * 1000) / 50;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`UYVY ${W}x${H} → RGB24, CPU per frame:`);
console.log(`  pikvm-agent JS loop : ${oursCpu.toFixed(2)} ms`);
console.log(`  NUT framing         : ${(nutCpu * 1000).toFixed(1)} µs`);
console.log(`  ffmpeg (whole run)  : ${Number.isNaN(ffmpegCpu) ? 'ffmpeg not available (apt-get install -y ffmpeg)' : `${ffmpegCpu.toFixed(2)} ms (includes reading the file and process start, amortised over 50 frames)`}`);
