import t from 'tap';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { parseFfmpegShimArgs, runFfmpegShim } from '../../../agent/cli/ffmpeg';
import { startFixture } from '../http/fixtures/fixture';
import { PpmSplitter } from '../http/fixtures/ppm-splitter';
import { waitFor } from '../http/fixtures/client';
import type { ParsedPpm } from '../../doubles/os-autoinst-ppm';

const OS_AUTOINST = (fps: number, dev = '/dev/video0') =>
  ['-loglevel', 'fatal', '-i', dev, '-vcodec', 'ppm', '-f', 'rawvideo', '-r', String(fps), '-'];

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

t.test('argument shape', async (t) => {
  t.same(parseFfmpegShimArgs(OS_AUTOINST(4)), { device: '/dev/video0', fps: 4 });
  t.same(parseFfmpegShimArgs(['ffmpeg', ...OS_AUTOINST(2, '/dev/video1')]), { device: '/dev/video1', fps: 2 }, 'leading "ffmpeg" accepted');
  t.same(parseFfmpegShimArgs(OS_AUTOINST(2, '/tmp/d/video3'), '/tmp/d'), { device: '/tmp/d/video3', fps: 2 }, 'device root injectable');
  t.same(parseFfmpegShimArgs(['ffmpeg', '--size', '1024x768', ...OS_AUTOINST(4)]), { device: '/dev/video0', fps: 4, size: { width: 1024, height: 768 } }, '--size (the worker kit adds it)');
  const bad: Array<[string[], RegExp]> = [
    [['-i', '/dev/video0'], /expected 11 arguments/],
    [OS_AUTOINST(0), /-r must be an integer from 1 to 30/],
    [OS_AUTOINST(31), /-r must be an integer/],
    [OS_AUTOINST(2, '/dev/sda'), /input must be \/dev\/videoN/],
    [OS_AUTOINST(2, 'http://x/stream'), /input must be/],
    [[...OS_AUTOINST(2).slice(0, 5), 'mjpeg', ...OS_AUTOINST(2).slice(6)], /-vcodec must be ppm/],
    [[...OS_AUTOINST(2).slice(0, 10), 'out.ppm'], /output must be -/],
    [['-loglevel', 'loud', ...OS_AUTOINST(2).slice(2)], /unknown log level/],
    [['--size', '1024', ...OS_AUTOINST(2)], /--size must be WIDTHxHEIGHT/],
    [['--size'], /--size must be WIDTHxHEIGHT/],
    [[...OS_AUTOINST(2), '--size', '1024x768'], /expected 11 arguments/],
  ];
  for (const [args, why] of bad) {
    const err = sink();
    const code = await runFfmpegShim(args, { connect: { host: '127.0.0.1', port: 1 }, stdout: new PassThrough(), stderr: err.stream });
    t.equal(code, 2, `exit 2 for ${args.join(' ')}`);
    t.match(err.text(), why);
    t.match(err.text(), /only "ffmpeg \[--size WxH\] -loglevel LEVEL -i \/dev\/videoN -vcodec ppm -f rawvideo -r FPS -" is supported/);
  }
});

async function collectFrames(run: (stdout: Writable, ac: AbortController) => Promise<number>, count: number) {
  const frames: ParsedPpm[] = [];
  const splitter = new PpmSplitter();
  const ac = new AbortController();
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const f of splitter.push(chunk)) frames.push(f);
      if (frames.length >= count) ac.abort();
      cb();
    },
  });
  const code = await run(stdout, ac);
  return { code, frames };
}

t.test('copies PPM frames from the daemon over TCP and stops on SIGTERM (abort)', async (t) => {
  const f = await startFixture({ width: 320, height: 240 });
  t.teardown(() => f.close());
  const err = sink();
  const { code, frames } = await collectFrames(
    (stdout, ac) => runFfmpegShim(OS_AUTOINST(10), { connect: { host: '127.0.0.1', port: f.port }, stdout, stderr: err.stream, signal: ac.signal }),
    4,
  );
  t.equal(code, 0, 'exit 0 when told to stop');
  t.ok(frames.length >= 4, `frames parsed with the os-autoinst rule (${frames.length})`);
  t.ok(frames.every((fr) => fr.width === 320 && fr.height === 240));
  t.equal(err.text(), '', 'nothing on stderr');
  t.ok(await waitFor(() => f.hub.subscriberCount === 0), 'daemon-side subscription released');
});

t.test('--size: frames larger than the size come scaled to it', async (t) => {
  const f = await startFixture({ width: 640, height: 480 });
  t.teardown(() => f.close());
  const { code, frames } = await collectFrames(
    (stdout, ac) =>
      runFfmpegShim(['ffmpeg', '--size', '320x240', ...OS_AUTOINST(10)], { connect: { host: '127.0.0.1', port: f.port }, stdout, stderr: sink().stream, signal: ac.signal }),
    3,
  );
  t.equal(code, 0);
  t.ok(frames.length >= 3 && frames.every((fr) => fr.width === 320 && fr.height === 240), 'every frame 320x240');
});

t.test('over a unix socket; exits on a closed stdout (EPIPE)', async (t) => {
  const f = await startFixture({ width: 64, height: 32 });
  t.teardown(() => f.close());
  const dir = mkdtempSync(join(tmpdir(), 'shim-'));
  const socketPath = join(dir, 'agent.sock');
  const unixServer = createServer(f.app);
  await new Promise<void>((r) => unixServer.listen(socketPath, r));
  t.teardown(() => {
    unixServer.closeAllConnections();
    unixServer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let writes = 0;
  const stdout = new Writable({
    write(_chunk, _enc, cb) {
      writes++;
      if (writes < 3) cb();
      else cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  stdout.on('error', () => undefined);
  const err = sink();
  const code = await runFfmpegShim(OS_AUTOINST(10), { connect: { socketPath }, stdout, stderr: err.stream });
  t.equal(code, 0, 'closed pipe: exit 0 (the reader is gone on purpose)');
  t.ok(writes >= 3, 'it was writing frames before');
  t.equal(err.text(), '');
  t.ok(await waitFor(() => f.hub.subscriberCount === 0), 'subscription released');
});

t.test('daemon unreachable or refusing: exit 1 with a message', async (t) => {
  const err = sink();
  const dir = mkdtempSync(join(tmpdir(), 'shim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const code = await runFfmpegShim(OS_AUTOINST(2), { connect: { socketPath: join(dir, 'none.sock') }, stdout: new PassThrough(), stderr: err.stream });
  t.equal(code, 1);
  t.match(err.text(), /cannot read the video stream from the agent daemon/);

  const f = await startFixture();
  t.teardown(() => f.close());
  const err2 = sink();
  const code2 = await runFfmpegShim(OS_AUTOINST(31), { connect: { host: '127.0.0.1', port: f.port }, stdout: new PassThrough(), stderr: err2.stream, maxFps: 60 });
  t.equal(code2, 1, 'the daemon refuses fps above its maximum');
  t.match(err2.text(), /answered 400/);
});
