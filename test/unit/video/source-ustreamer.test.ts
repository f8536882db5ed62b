/** UstreamerSource against a stand-in ustreamer on a unix socket. */
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recordingLogger } from '../../../agent/log';
import type { Frame, SignalState } from '../../../agent/video/frame';
import { UstreamerSource } from '../../../agent/video/sources/ustreamer';
import { UstreamerStandin } from '../../doubles/ustreamer-standin';
import { until } from '../../doubles/scripted-capture';

async function setup(t: Test) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ustreamer-'));
  const standin = new UstreamerStandin(path.join(dir, 'ustreamer.sock'));
  const log = recordingLogger();
  const source = new UstreamerSource({ socketPath: standin.socketPath, logger: log, idlePollMs: 20, backoffMs: 10, maxBackoffMs: 40 });
  const frames: Frame[] = [];
  const states: SignalState[] = [];
  source.on('frame', (f) => frames.push(f));
  source.on('state', (s) => states.push(s));
  t.teardown(async () => {
    await source.stop();
    await standin.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return { standin, source, frames, states, log };
}

t.test('snapshots are decoded into RGB frames at the served size', async (t) => {
  const { standin, source, frames, states } = await setup(t);
  await standin.listen();
  await source.start();
  source.setDemand(10);
  await until('two frames', () => frames.length >= 2);
  const f = frames[0]!;
  t.equal(f.width, 64);
  t.equal(f.height, 48);
  t.equal(f.rgb.length, 64 * 48 * 3);
  const [r, g, b] = [f.rgb[0]!, f.rgb[1]!, f.rgb[2]!];
  const [er, eg, eb] = standin.picture.rgb;
  t.ok(Math.abs(r - er) <= 8 && Math.abs(g - eg) <= 8 && Math.abs(b - eb) <= 8, `pixel ${r},${g},${b} ≈ ${er},${eg},${eb} (JPEG is lossy)`);
  t.ok(frames[1]!.sequence > f.sequence);
  t.match(states.at(-1), { online: true, width: 64, height: 48 });

  standin.picture = { width: 80, height: 60, rgb: [0, 0, 255], online: true };
  await until('a mode change', () => frames.at(-1)?.width === 80);
  t.equal(frames.at(-1)!.height, 60);
  t.match(states.at(-1), { online: true, width: 80, height: 60 });
});

t.test('demand 0 keeps the state current but decodes nothing', async (t) => {
  const { standin, source, frames, states } = await setup(t);
  await standin.listen();
  await source.start();
  await until('a few polls', () => standin.requests >= 3);
  t.equal(source.counters.decoded, 0);
  t.equal(frames.length, 0);
  t.match(states.at(-1), { online: true, width: 64, height: 48 });
});

t.test('X-UStreamer-Online: false and non-200 answers are no-signal, without frames', async (t) => {
  const { standin, source, frames, states } = await setup(t);
  standin.picture = { ...standin.picture, online: false };
  await standin.listen();
  await source.start();
  source.setDemand(10);
  await until('offline', () => states.at(-1)?.reason === 'no-signal');
  const fetched = source.counters.fetched;
  await until('more polls', () => source.counters.fetched >= fetched + 2);
  t.equal(frames.length, 0, "ustreamer's own placeholder is not passed on");
  standin.picture = { ...standin.picture, online: true };
  await until('online', () => frames.length > 0);
  standin.picture = { ...standin.picture, status: 503 };
  await until('503 → offline', () => states.at(-1)?.online === false);
  t.match(states.at(-1), { online: false, reason: 'no-signal' });
});

t.test('an unreachable socket is no-device, logged once, retried until ustreamer is back', async (t) => {
  const { standin, source, frames, states, log } = await setup(t);
  await source.start();
  source.setDemand(10);
  await until('several failures', () => source.counters.failures >= 4);
  t.match(states.at(-1), { online: false, reason: 'no-device' });
  t.equal(log.records.filter((r) => r.message.startsWith('ustreamer unreachable')).length, 1, 'logged once');
  await standin.listen();
  await until('frames once ustreamer listens', () => frames.length > 0);
  t.match(states.at(-1), { online: true });
  await standin.close();
  await until('no-device again', () => states.at(-1)?.reason === 'no-device');
});

t.test('stop() ends the polling', async (t) => {
  const { standin, source } = await setup(t);
  await standin.listen();
  await source.start();
  await until('a poll', () => standin.requests >= 1);
  await source.stop();
  const after = standin.requests;
  await new Promise((r) => setTimeout(r, 100));
  t.equal(standin.requests, after, 'no request after stop');
});
