/**
 * The NUT stream against the real consumers: Debian's ffprobe, and the exact command Debian 12's
 * os-autoinst runs (consoles/video_stream.pm `_get_ffmpeg_cmd`):
 *   ffmpeg -loglevel fatal -i URL -vcodec ppm -f rawvideo -r N -
 * Frames on its stdout are parsed with os-autoinst's header rule and counted over ~10 s.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { PpmSplitter } from './fixtures/ppm-splitter';
import { requireFfmpeg, runBounded } from '../video/fixtures/tools';
import { startFixture } from './fixtures/fixture';
import { waitFor } from './fixtures/client';

const RUN_MS = 10000;

interface ConsumerRun {
  /** frames on stdout between spawn and SIGTERM */
  frames: number;
  sizes: Set<string>;
  firstFrameMs: number;
  framedMs: number;
  stderr: string;
}

/** Run os-autoinst's ffmpeg command for RUN_MS, then SIGTERM it (as os-autoinst does). */
function runConsumer(url: string, fps: number, onFrame?: (n: number) => void): Promise<ConsumerRun> {
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.now();
    const child = spawn('ffmpeg', ['-loglevel', 'fatal', '-i', url, '-vcodec', 'ppm', '-f', 'rawvideo', '-r', String(fps), '-']);
    const splitter = new PpmSplitter();
    let frames = 0;
    let firstAt = -1;
    let killedAt = -1;
    const sizes = new Set<string>();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      if (firstAt < 0) firstAt = performance.now();
      try {
        for (const f of splitter.push(c)) {
          // Frames written after SIGTERM are ffmpeg flushing its last frame, not real-time output.
          if (killedAt >= 0) continue;
          frames++;
          sizes.add(`${f.width}x${f.height}`);
          onFrame?.(frames);
        }
      } catch (e) {
        child.kill('SIGKILL');
        reject(e);
      }
    });
    setTimeout(() => {
      killedAt = performance.now();
      child.kill('SIGTERM');
    }, RUN_MS);
    child.on('error', reject);
    child.on('close', () =>
      resolve({ frames, sizes, firstFrameMs: firstAt - spawnedAt, framedMs: killedAt - firstAt, stderr }),
    );
  });
}

t.test('ffprobe reads the live stream', async (t) => {
  if (!requireFfmpeg(t)) return;
  const f = await startFixture({ width: 1024, height: 768 });
  t.teardown(() => f.close());
  // Asynchronous spawn: the server runs in this process and must keep serving.
  const r = await runBounded(
    'ffprobe',
    ['-v', 'error', '-show_streams', '-show_packets', '-read_intervals', '%+#6', '-of', 'json', `${f.url}/stream.nut?fps=4`],
    20000,
  );
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString()) as {
    streams: Array<Record<string, unknown>>;
    packets: Array<{ pts: number }>;
  };
  t.match(info.streams[0], { codec_name: 'rawvideo', pix_fmt: 'rgb24', width: 1024, height: 768 });
  const pts = info.packets.map((p) => p.pts);
  t.ok(pts.length >= 5, `packets read (${pts.length})`);
  t.ok(pts.every((p, i) => i === 0 || p > pts[i - 1]!), `timestamps increase: ${pts.join(' ')}`);
  t.ok(await waitFor(() => f.hub.subscriberCount === 0), 'ffprobe gone → subscription gone');
});

t.test('a 1920x1080 source at ?size=1024x768: the NUT stream is 1024x768', async (t) => {
  if (!requireFfmpeg(t)) return;
  const f = await startFixture({ width: 1920, height: 1080 });
  t.teardown(() => f.close());
  const r = await runBounded(
    'ffprobe',
    ['-v', 'error', '-show_streams', '-show_packets', '-read_intervals', '%+#4', '-of', 'json', `${f.url}/stream.nut?fps=4&size=1024x768`],
    20000,
  );
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString()) as { streams: Array<Record<string, unknown>>; packets: Array<{ size: string }> };
  t.match(info.streams[0], { codec_name: 'rawvideo', pix_fmt: 'rgb24', width: 1024, height: 768 });
  t.ok(info.packets.length >= 3 && info.packets.every((p) => Number(p.size) === 1024 * 768 * 3), `packets of one 1024x768 frame (${info.packets.length})`);
});

t.test("os-autoinst's ffmpeg command at fps 2 and 4", async (t) => {
  if (!requireFfmpeg(t)) return;
  const f = await startFixture({ width: 1024, height: 768, rate: 60 });
  t.teardown(() => f.close());
  const [two, four] = await Promise.all([
    runConsumer(`${f.url}/stream.nut?fps=2`, 2),
    runConsumer(`${f.url}/stream.nut?fps=4`, 4),
  ]);
  for (const [fps, run] of [
    [2, two],
    [4, four],
  ] as const) {
    t.equal(run.stderr, '', `fps ${fps}: ffmpeg printed no fatal error`);
    // Not a speed target (bench/ measures latency): os-autoinst's contract. It SIGTERMs ffmpeg and
    // starts it again when no frame came for 4 s (consoles/video_stream.pm), so a first frame any
    // later would make it loop forever.
    t.ok(run.firstFrameMs >= 0 && run.firstFrameMs < 4000, `fps ${fps}: first frame after ${Math.round(run.firstFrameMs)} ms (os-autoinst restarts after 4 s)`);
    // Frames at output times 0, 1/N, 2/N … within the window from the first frame to SIGTERM.
    const expected = Math.floor((fps * run.framedMs) / 1000) + 1;
    t.ok(Math.abs(run.frames - expected) <= 1, `fps ${fps}: ${run.frames} frames in ${Math.round(run.framedMs)} ms, expected ${expected.toFixed(1)} ± 1`);
    t.same([...run.sizes], ['1024x768'], `fps ${fps}: every frame 1024x768`);
  }
  t.comment(`frames dropped for slow clients: ${f.app.streamStats.dropped}`);
  t.ok(await waitFor(() => f.hub.subscriberCount === 0), 'consumers gone → no subscriber left');
  t.equal(f.app.streamStats.open, 0);
});

t.test('a mode change keeps the NUT stream going at its size; offline keeps it going too', async (t) => {
  if (!requireFfmpeg(t)) return;
  const f = await startFixture({ width: 640, height: 480 });
  t.teardown(() => f.close());
  const run = runConsumer(`${f.url}/stream.nut?fps=4`, 4, (n) => {
    if (n === 8) f.source.setMode(800, 600);
    if (n === 20) f.source.goOffline('no-signal');
    if (n === 28) f.source.goOnline();
  });
  const r = await run;
  t.equal(r.stderr, '');
  t.same([...r.sizes], ['640x480'], 'all frames at the size the stream started with');
  const expected = (4 * r.framedMs) / 1000 + 1;
  t.ok(Math.abs(r.frames - expected) <= 1, `no stall across mode change and signal loss: ${r.frames} frames, expected ${expected.toFixed(1)}`);
});
