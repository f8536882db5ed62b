/**
 * V4l2FrameSource over the fake capture device: demand-limited conversion, signal loss and
 * return, mode changes, the watchdog and the no-signal poll.
 */
import t, { type Test } from 'tap';
import type { Frame, SignalState } from '../../../agent/video/frame';
import { recordingLogger } from '../../../agent/log';
import { V4l2FrameSource } from '../../../agent/video/sources/v4l2';
import { DMT_1024X768_60 } from '../../../agent/capture/timings';
import { CEA_1280X720_60 } from '../../contract/capture-device';
import { ScriptedCaptureDevice, sleep, until } from '../../doubles/scripted-capture';

/** BT.601 limited range, Y = U = V = 0x80 (the fake's fill): grey. */
const GREY = Math.max(0, Math.min(255, Math.floor((298 * (0x80 - 16) + 128) / 256)));

async function setup(t: Test, options: ConstructorParameters<typeof V4l2FrameSource>[0] = {}) {
  const device = new ScriptedCaptureDevice();
  const log = recordingLogger();
  const source = new V4l2FrameSource({ logger: log, watchdogMs: 150, noSignalPollMs: 40, frameWaitMs: 30, ...options });
  const frames: Frame[] = [];
  const states: SignalState[] = [];
  source.on('frame', (f) => frames.push(f));
  source.on('state', (s) => states.push(s));
  await device.open();
  await source.start();
  t.teardown(async () => {
    await source.stop();
    await source.detach();
    await device.close();
  });
  return { device, source, frames, states, log };
}

t.test('without a device the state is no-device and nothing is captured', async (t) => {
  const { source, frames, states } = await setup(t);
  source.setDemand(30);
  await sleep(50);
  t.equal(frames.length, 0);
  t.match(states.at(-1), { online: false, reason: 'no-device' });
});

t.test('frames are converted to RGB24 at the negotiated size', async (t) => {
  const { device, source, frames, states } = await setup(t);
  source.setDemand(30);
  await source.attach(device);
  await until('a frame', () => frames.length >= 2);
  const f = frames[0]!;
  t.equal(f.width, DMT_1024X768_60.width);
  t.equal(f.height, DMT_1024X768_60.height);
  t.equal(f.rgb.length, 1024 * 768 * 3);
  t.ok(f.online);
  const last = f.rgb.length - 3;
  t.same([...f.rgb.subarray(last)], [GREY, GREY, GREY], 'UYVY 80 80 80 80 is mid grey');
  t.ok(frames[1]!.sequence > f.sequence, 'sequence numbers come from the driver');
  t.match(states.at(-1), { online: true, width: 1024, height: 768 });
});

t.test('demand 0 gives every filled buffer back uncopied and converts nothing', async (t) => {
  const { device, source, frames } = await setup(t, { idlePollMs: 50 });
  await source.attach(device);
  await until('20 buffers dequeued', () => source.counters.dequeued >= 20);
  t.equal(source.counters.converted, 0);
  t.equal(frames.length, 0);
  t.ok(device.streaming, 'the stream stays on');
  t.equal(device.copies, 0, 'no buffer was copied out of the driver');
});

t.test('at a low demand the loop sleeps between conversions and sends fresh frames', async (t) => {
  const { device, source, frames } = await setup(t);
  source.setDemand(4);
  await source.attach(device);
  await until('8 conversions', () => frames.length >= 8);
  await source.detach();
  // A 60 Hz source for ≈ 2 s: ≈ 120 source frames. Waking per buffer would mean a wait per
  // dequeued buffer; sleeping means about two waits per conversion.
  t.ok(device.waits <= 3 * device.copies + 3, `${device.waits} waits for ${device.copies} conversions`);
  t.ok(source.counters.dequeued > device.waits, `${source.counters.dequeued} buffers dequeued in ${device.waits} waits`);
  // After a sleep the queue holds frames up to 250 ms old; the converted one must be the newest.
  t.ok(device.copiedLag.every((lag) => lag <= 3), `lag behind the newest source frame: ${device.copiedLag.join(', ')}`);
  const gaps = frames.slice(1).map((f, i) => f.sequence - frames[i]!.sequence);
  t.ok(gaps.every((g) => g > 4), `consecutive conversions are sleeps apart, not queue neighbours (${gaps.join(', ')})`);
});

t.test('conversions follow the demanded rate, not the source rate', async (t) => {
  const { device, source, frames } = await setup(t);
  source.setDemand(5);
  await source.attach(device);
  await until('streaming', () => device.streaming);
  const first = frames.length;
  const startedAt = performance.now();
  await sleep(2000);
  const seconds = (performance.now() - startedAt) / 1000;
  const converted = frames.length - first;
  t.ok(converted >= Math.floor(seconds * 5) - 2 && converted <= Math.ceil(seconds * 5) + 1, `${converted} conversions in ${seconds.toFixed(2)} s at demand 5`);
  t.equal(source.counters.converted, frames.length);
  t.equal(device.copies, frames.length, 'only the converted frames were copied');
});

t.test('more demand converts a frame at once instead of waiting for the old grid', async (t) => {
  const { device, source, frames } = await setup(t, { idlePollMs: 5000 });
  source.setDemand(1);
  await source.attach(device);
  await until('a frame', () => frames.length >= 1);
  const before = frames.length;
  source.setDemand(30);
  await until('a frame after the demand rose (the loop was asleep for up to 1 s)', () => frames.length > before, 400);
  t.ok(frames.length > before);
});

t.test('signal loss is an offline state; the signal coming back resumes capture', async (t) => {
  const { device, source, frames, states } = await setup(t);
  source.setDemand(30);
  await source.attach(device);
  await until('online', () => frames.length > 0);
  device.setSignal('no-signal');
  await until('offline', () => states.at(-1)?.online === false);
  t.match(states.at(-1), { online: false, reason: 'no-signal' });
  t.notOk(device.streaming, 'capture stops while there is nothing to capture');
  device.setSignal('out-of-range');
  await until('out-of-range', () => states.at(-1)?.reason === 'out-of-range');
  const before = frames.length;
  device.setSignal('online');
  await until('frames again', () => frames.length > before);
  t.match(states.at(-1), { online: true, width: 1024, height: 768 });
});

t.test('while there is no signal the query is polled, not spun', async (t) => {
  const { device, source, log } = await setup(t);
  device.setSignal('no-signal');
  await source.attach(device);
  const start = device.queries;
  await sleep(400);
  const polls = device.queries - start;
  t.ok(polls >= 1, `${polls} queries`);
  t.ok(polls <= 400 / 40 + 3, `${polls} queries in 400 ms at a 40 ms poll: no busy loop`);
  t.equal(log.records.filter((r) => r.message === 'capture offline').length, 1, 'logged once');
});

t.test('a mode change of the source re-negotiates to the new size', async (t) => {
  const { device, source, frames, states } = await setup(t);
  source.setDemand(30);
  await source.attach(device);
  await until('frames', () => frames.length > 0);
  device.setSourceMode(CEA_1280X720_60);
  await until('1280x720 frames', () => frames.at(-1)?.width === 1280);
  const f = frames.at(-1)!;
  t.equal(f.height, 720);
  t.equal(f.rgb.length, 1280 * 720 * 3);
  t.match(states.at(-1), { online: true, width: 1280, height: 720 });
  t.same((await device.getDvTimings()).width, 1280, 'the receiver was set to the new timings');
});

t.test('the watchdog restarts capture when frames stop with the signal present', async (t) => {
  const { device, source, frames } = await setup(t);
  source.setDemand(30);
  await source.attach(device);
  await until('frames', () => frames.length > 0);
  const starts = device.streamStarts;
  device.stalled = true;
  await until('a watchdog restart', () => source.counters.watchdogRestarts >= 1 && device.streamStarts > starts);
  t.ok(device.streamStarts > starts, 'streaming was restarted');
  t.ok(device.streaming, 'and is on again (the signal is still present)');
  device.stalled = false;
  const before = frames.length;
  await until('frames after the restart', () => frames.length > before);
  t.ok(frames.at(-1)!.online);
});

t.test('renegotiate() answers with what the source sends', async (t) => {
  const { device, source } = await setup(t);
  await source.attach(device);
  await until('streaming', () => device.streaming);
  t.match(await source.renegotiate(), { state: 'online', timings: { width: 1024, height: 768 } });
  device.setSignal('no-sync');
  t.same(await source.renegotiate(), { state: 'no-sync' });
  await source.detach();
  await t.rejects(source.renegotiate(), { code: 'no-device' });
});

t.test('converted frames reuse a few RGB buffers instead of allocating one per frame', async (t) => {
  const { device, source, frames } = await setup(t);
  let held: { frame: Frame; pixels: Buffer; release: () => void } | undefined;
  source.on('frame', (frame) => {
    // Held during the synchronous delivery, as the hub and the HTTP streams do.
    if (frames.length === 5) held = { frame, pixels: Buffer.from(frame.rgb), release: frame.hold!() };
  });
  source.setDemand(30);
  await source.attach(device);
  await until('15 frames', () => frames.length >= 15);
  const memory = new Set(frames.map((f) => f.rgb.buffer));
  t.ok(memory.size <= 4, `${frames.length} frames in ${memory.size} buffers`);
  t.ok(frames.every((f) => typeof f.hold === 'function'), 'each frame can be held by whoever keeps it');
  const h = held!;
  t.ok(frames.slice(6).every((f) => f.rgb.buffer !== h.frame.rgb.buffer), 'a held buffer is not handed out again');
  t.ok(h.frame.rgb.equals(h.pixels), 'and its pixels did not change');
  h.release();
});
