/**
 * Bench: the whole frame pipeline against ffmpeg, side by side.
 *
 *  1. Ours: a 60 fps 1024×768 UYVY "capture" (buffers arrive at 60 Hz; only the frames the hub
 *     asks for are converted, as the V4L2 source does) → FrameHub → HTTP, with two NUT clients
 *     (the os-autoinst ffmpeg command at -r 2) and one PPM client (/stream.ppm?fps=2).
 *     Reported: CPU of this process per delivered frame, RSS over time, frame age at send.
 *  2. ffmpeg doing the conversion the usual way: reading the same 60 fps UYVY stream (from a
 *     pipe, in real time) and writing PPM at -r 2. Reported: its CPU per delivered frame.
 *
 * Run: `npx ts-node-transpile-only bench/video-pipeline.ts [seconds=30]` (300 for the RSS figure).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { convertRawToRgb24 } from '../agent/video/convert';
import { FrameHub } from '../agent/video/frame-hub';
import { createHttpApp } from '../agent/http/app';
import { PacedSource } from '../agent/video/sources/paced-source';

const W = 1024;
const H = 768;
const SOURCE_FPS = 60;
const SECONDS = Number(process.argv[2] ?? 30);

function uyvyFrames(n: number): Buffer[] {
  return Array.from({ length: n }, (_, k) => {
    const b = Buffer.allocUnsafe(W * H * 2);
    for (let i = 0; i < b.length; i++) b[i] = (i * 7 + k * 13) & 0xff;
    return b;
  });
}
const CAPTURED = uyvyFrames(4);

/** Stands in for the V4L2 source: PacedSource renders at min(60, demand); each render converts. */
class UyvyReplaySource extends PacedSource {
  protected render(sequence: number): Buffer {
    return convertRawToRgb24(CAPTURED[sequence % CAPTURED.length]!, { format: 'UYVY', width: W, height: H }).rgb;
  }
}

function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return (ticks * 1000) / 100; // USER_HZ = 100 on Linux
}

function countPpmBytes(bytes: number): number {
  return Math.floor(bytes / (W * H * 3 + `P6\n${W} ${H}\n255\n`.length));
}

async function ours(): Promise<{ cpuPerFrame: number; delivered: number; rssMb: number[]; ageP50: number; ageMax: number }> {
  const source = new UyvyReplaySource({ width: W, height: H, rate: SOURCE_FPS });
  const hub = new FrameHub({ source });
  await hub.start();
  const app = createHttpApp({ hub, status: () => ({}) });
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ages: number[] = [];
  const probe = hub.subscribe(2, (frame, at) => {
    if (frame.online) ages.push(at - frame.capturedAt);
  });

  const clients = [
    spawn('ffmpeg', ['-loglevel', 'fatal', '-i', `${url}/stream.nut?fps=2`, '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '2', '-']),
    spawn('ffmpeg', ['-loglevel', 'fatal', '-i', `${url}/stream.nut?fps=2`, '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '2', '-']),
    spawn('curl', ['-s', '-N', `${url}/stream.ppm?fps=2`]),
  ];
  const bytes = clients.map(() => 0);
  clients.forEach((c, i) => c.stdout.on('data', (d: Buffer) => (bytes[i]! += d.length)));

  const rssMb: number[] = [];
  const cpu0 = process.cpuUsage();
  const sampler = setInterval(() => rssMb.push(Math.round(process.memoryUsage().rss / 1e6)), Math.max(1000, (SECONDS * 1000) / 20));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  for (const c of clients) c.kill('SIGTERM');
  probe.close();
  server.closeAllConnections();
  server.close();
  await hub.stop();
  const delivered = bytes.reduce((a, b) => a + countPpmBytes(b), 0);
  ages.sort((a, b) => a - b);
  return {
    cpuPerFrame: (cpu.user + cpu.system) / 1000 / Math.max(1, delivered),
    delivered,
    rssMb,
    ageP50: ages[Math.floor(ages.length / 2)] ?? NaN,
    ageMax: ages.at(-1) ?? NaN,
  };
}

async function ffmpegReference(): Promise<{ cpuPerFrame: number; delivered: number }> {
  const child = spawn('ffmpeg', ['-loglevel', 'fatal', '-f', 'rawvideo', '-pix_fmt', 'uyvy422', '-s', `${W}x${H}`, '-r', String(SOURCE_FPS), '-i', '-', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '2', '-']);
  let out = 0;
  child.stdout.on('data', (d: Buffer) => (out += d.length));
  child.stdin.on('error', () => undefined);
  let k = 0;
  const feeder = setInterval(() => child.stdin.write(CAPTURED[k++ % CAPTURED.length]), 1000 / SOURCE_FPS);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(feeder);
  const cpu = procCpuMs(child.pid!);
  child.stdin.end();
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
  const delivered = countPpmBytes(out);
  return { cpuPerFrame: cpu / Math.max(1, delivered), delivered };
}

(async () => {
  const a = await ours();
  const b = await ffmpegReference();
  console.log(`${W}x${H} UYVY source at ${SOURCE_FPS} fps, delivered at 2 fps, ${SECONDS} s`);
  console.log(`  pikvm-agent: ${a.cpuPerFrame.toFixed(2)} ms CPU per delivered frame (${a.delivered} frames to 3 clients, whole process incl. HTTP)`);
  console.log(`  ffmpeg     : ${b.cpuPerFrame.toFixed(2)} ms CPU per delivered frame (${b.delivered} frames, 1 client)`);
  console.log(`  ratio      : ${(a.cpuPerFrame / b.cpuPerFrame).toFixed(2)}`);
  console.log(`  frame age at send: median ${a.ageP50.toFixed(1)} ms, max ${a.ageMax.toFixed(1)} ms`);
  console.log(`  RSS samples (MB): ${a.rssMb.join(' ')}`);
})();
