/**
 * The capture side on the real kernel: VideoOwner + V4l2FrameSource on vivid's HDMI input. Taking
 * loads our 1024x768 EDID and applies the timings, frames of 1024x768 arrive, vivid's
 * `dv_timings_signal_mode` control takes the signal away and brings it back, a selected preset is a
 * mode change the source follows, and giving back restores vivid's EDID.
 */
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { recordingLogger } from '../../../agent/log';
import type { Frame, SignalState } from '../../../agent/video/frame';
import { makeEdid, toHexText } from '../../../agent/edid';
import { VideoOwner } from '../../../agent/capture/owner/video-owner';
import { V4l2FrameSource } from '../../../agent/video/sources/v4l2';
import { V4l2Device } from '../../../agent/capture/v4l2/device';
import { DMT_1024X768_60 } from '../../../agent/capture/timings';
import { V4l2CaptureDevice } from '../../../agent/capture/v4l2/v4l2-capture';
import { presetIndex, setControl, setSignalMode, SIGNAL_MODE, v4l2ctl, vividNode } from './fixtures/vivid';
import { assertInGuest, waitFor } from './kernel-env';

assertInGuest();

t.test('VideoOwner and V4l2FrameSource on vivid', async (t) => {
  const node = await vividNode();
  const runDir = await fs.mkdtemp('/tmp/capture-source-');
  const edidFile = path.join(runDir, 'ours.hex');
  await fs.writeFile(edidFile, toHexText(makeEdid({ width: 1024, height: 768 }).bytes));

  // The state a previous user left: vivid's own EDID, the source sending the receiver's timings.
  await setSignalMode(node, SIGNAL_MODE.current);
  const raw = new V4l2Device();
  raw.open(node);
  const vividEdid = raw.getEdid();
  const vividTimings = raw.getDvTimings();
  raw.setDvTimings(DMT_1024X768_60);
  raw.close();
  const presetBefore = await v4l2ctl(node, '-C', 'dv_timings');
  const presetValue = Number(/dv_timings:\s*(\d+)/.exec(presetBefore.stdout)?.[1] ?? 0);

  const log = recordingLogger();
  const source = new V4l2FrameSource({ logger: log.child('capture') });
  const frames: Frame[] = [];
  const states: SignalState[] = [];
  source.on('frame', (f) => frames.push(f));
  source.on('state', (s) => states.push(s));
  const modes = () => log.records.filter((r) => r.message === 'capture mode').map((r) => [r.fields.width, r.fields.height]);
  const owner = new VideoOwner({
    openDevice: () => new V4l2CaptureDevice(node),
    edidFile,
    runDir,
    source,
    logger: log.child('owner'),
  });
  t.teardown(async () => {
    await owner.give().catch(() => undefined);
    await source.stop();
    await setSignalMode(node, SIGNAL_MODE.current).catch(() => undefined);
    await setControl(node, 'dv_timings', presetValue).catch(() => undefined);
    const restore = new V4l2Device();
    restore.open(node);
    restore.setDvTimings(vividTimings);
    restore.close();
    await fs.rm(runDir, { recursive: true, force: true });
  });
  await source.start();
  source.setDemand(5);
  await owner.take();

  t.test('frames of 1024x768 after taking', async (t) => {
    await waitFor('a frame', async () => (frames.length > 0 ? true : undefined), 60_000);
    const f = frames[0]!;
    t.equal(f.width, 1024);
    t.equal(f.height, 768);
    t.equal(f.rgb.length, 1024 * 768 * 3);
    t.match(owner.status(), { signal: 'online', timings: { width: 1024, height: 768, pixelclock: 65_000_000 } });
    t.same(modes()[0], [1024, 768], 'the capture mode is logged');
    const onReceiver = new V4l2Device();
    // A second open of the node is allowed by V4L2; it only reads.
    onReceiver.open(node);
    t.same(onReceiver.getEdid(), Buffer.from(makeEdid({ width: 1024, height: 768 }).bytes), 'our EDID is on vivid');
    onReceiver.close();
  });

  t.test('signal loss and return', async (t) => {
    await setSignalMode(node, SIGNAL_MODE['no-signal']);
    await waitFor('no-signal', async () => (states.at(-1)?.reason === 'no-signal' ? true : undefined), 60_000);
    t.equal(owner.status().signal, 'no-signal');
    const before = frames.length;
    await setSignalMode(node, SIGNAL_MODE.current);
    await waitFor('frames again', async () => (frames.length > before ? true : undefined), 60_000);
    t.match(states.at(-1), { online: true, width: 1024, height: 768 });
  });

  t.test('a mode change is followed', async (t) => {
    const index = await presetIndex(node, '1280x720p60');
    await setControl(node, 'dv_timings', index);
    await setSignalMode(node, SIGNAL_MODE.selected);
    await waitFor('1280x720 frames', async () => (frames.at(-1)?.width === 1280 ? true : undefined), 60_000);
    t.equal(frames.at(-1)!.height, 720);
    t.same(modes().at(-1), [1280, 720]);
    t.match(owner.status().timings, { width: 1280, height: 720 });
  });

  t.test('setEdid while capturing loads the file and capture goes on', async (t) => {
    const other = path.join(runDir, 'other.hex');
    const bytes = makeEdid({ width: 1280, height: 1024, name: 'other' }).bytes;
    await fs.writeFile(other, toHexText(bytes));
    await owner.setEdid(other);
    const check = new V4l2Device();
    check.open(node);
    t.same(check.getEdid(), Buffer.from(bytes), 'the new EDID is on vivid');
    check.close();
    const before = frames.length;
    await waitFor('frames after the EDID change', async () => (frames.length > before ? true : undefined), 60_000);
    t.equal(owner.status().edid.ours, other);
  });

  t.test('give restores the EDID vivid had', async (t) => {
    await owner.give();
    const after = new V4l2Device();
    after.open(node);
    t.same(after.getEdid(), vividEdid);
    after.close();
    await t.rejects(fs.access(path.join(runDir, 'original-edid.bin')), 'the saved EDID is gone');
    t.equal(source.state().reason, 'no-device');
  });
});
