/**
 * VideoOwner over the fake capture device: EDID saved, replaced and restored (also by a fresh
 * owner after a crash), DV timings in status, mode changes logged, the VideoPort
 * replies and the refusal of invalid EDID files.
 */
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recordingLogger } from '../../../../agent/log';
import { readEdidFile } from '../../../../agent/edid';
import { NoSignalError, VideoOwner } from '../../../../agent/capture/owner/video-owner';
import { ORIGINAL_EDID_FILE } from '../../../../agent/capture/owner/edid-file';
import { V4l2FrameSource } from '../../../../agent/video/sources/v4l2';
import { DMT_1024X768_60 } from '../../../../agent/capture/timings';
import { CEA_1280X720_60, testEdid } from '../../../contract/capture-device';
import { ScriptedCaptureDevice, UsbGrabberDevice, until } from '../../../doubles/scripted-capture';
import type { Frame } from '../../../../agent/video/frame';

const REPO = path.resolve(__dirname, '../../../..');
const OUR_EDID = path.join(REPO, 'edid/1024x768.hex');
const OTHER_EDID = path.join(REPO, 'edid/1280x1024.hex');

async function edidOf(file: string): Promise<Buffer> {
  return Buffer.from(readEdidFile(await fs.readFile(file)).bytes);
}

async function setup(t: Test, original = testEdid(7)) {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'video-owner-'));
  const device = new ScriptedCaptureDevice();
  await device.open();
  await device.setEdid(original);
  await device.close();
  const source = new V4l2FrameSource({ frameWaitMs: 30, noSignalPollMs: 30 });
  await source.start();
  const log = recordingLogger();
  const newOwner = () =>
    new VideoOwner({
      openDevice: () => device,
      edidFile: OUR_EDID,
      runDir,
      source,
      logger: log,
    });
  const owner = newOwner();
  t.teardown(async () => {
    await owner.give().catch(() => undefined);
    await source.stop();
    await fs.rm(runDir, { recursive: true, force: true });
  });
  /** The receiver's EDID, read the way a later user of the device would. */
  const receiverEdid = async (): Promise<Buffer> => {
    const opened = device.streaming || (await device.open().then(() => false, () => true));
    const edid = await device.getEdid();
    if (!opened) await device.close();
    return edid;
  };
  /** The capture modes logged so far. */
  const modes = () => log.records.filter((r) => r.message === 'capture mode').map((r) => [r.fields.width, r.fields.height]);
  return { runDir, device, source, owner, newOwner, modes, original, log, receiverEdid, saved: path.join(runDir, ORIGINAL_EDID_FILE) };
}

t.test('take saves the original EDID, loads ours, applies timings; give restores and is idempotent', async (t) => {
  const s = await setup(t);
  await s.owner.take();
  t.same(await fs.readFile(s.saved), s.original, 'original EDID persisted under the run dir');
  t.same(await s.device.getEdid(), await edidOf(OUR_EDID), 'our EDID is on the receiver');
  const status = s.owner.status();
  t.equal(status.signal, 'online');
  t.ok(status.taken);
  t.equal(status.edid.ours, OUR_EDID);
  t.ok(status.edid.originalSaved);
  const total = (1024 + 24 + 136 + 160) * (768 + 3 + 6 + 29);
  t.match(status.timings, { width: 1024, height: 768, pixelclock: 65_000_000 });
  t.ok(Math.abs(status.timings!.refresh - 65_000_000 / total) < 0.01, `refresh ${status.timings!.refresh}`);
  t.same(s.modes(), [[1024, 768]], 'the capture mode is logged');
  await until('capture streaming', () => s.device.streaming);

  await s.owner.give();
  t.notOk(s.device.streaming, 'capture stopped');
  t.same(await s.receiverEdid(), s.original, 'original EDID restored');
  await t.rejects(fs.access(s.saved), 'the saved file is gone');
  t.equal(s.owner.status().signal, 'no-device');
  await s.owner.give();
  t.same(await s.receiverEdid(), s.original, 'a second give changes nothing');
  t.equal(s.source.state().reason, 'no-device');
});

t.test('after a crash a fresh owner restores the saved EDID from disk', async (t) => {
  const s = await setup(t);
  await s.owner.take();
  // The process dies: the kernel closes the node; nothing in memory survives.
  await s.source.detach();
  await s.device.close();
  t.same(await s.receiverEdid(), await edidOf(OUR_EDID), 'our EDID is still on the receiver');

  const again = s.newOwner();
  await again.take();
  t.same(await fs.readFile(s.saved), s.original, 'a take after the crash keeps the real original, not ours');
  await again.give();
  t.same(await s.receiverEdid(), s.original);

  await s.owner.take();
  await s.source.detach();
  await s.device.close();
  await s.newOwner().give();
  t.same(await s.receiverEdid(), s.original, 'give() alone on a fresh owner restores it');
  await t.rejects(fs.access(s.saved));
});

t.test('no signal at take is a state, and apply() says which', async (t) => {
  const s = await setup(t);
  s.device.setSignal('no-sync'); // not open: the state is kept for when it is
  await s.owner.take();
  t.equal(s.owner.status().signal, 'no-sync');
  t.equal(s.owner.status().timings, null);
  t.same(await s.owner.query(), { state: 'no-sync' });
  const e = await s.owner.apply().then(() => undefined, (x: unknown) => x);
  t.ok(e instanceof NoSignalError, 'NoSignalError');
  t.equal((e as NoSignalError).state, 'no-sync');
  t.match((e as Error).message, /no-sync/);
  t.same(s.modes(), [], 'no capture mode without a signal');
});

t.test('a mode change reaches status and the log', async (t) => {
  const s = await setup(t);
  await s.owner.take();
  await until('capture streaming', () => s.device.streaming);
  s.device.setSourceMode(CEA_1280X720_60);
  await until('1280x720', () => s.owner.status().timings?.width === 1280);
  t.match(s.owner.status().timings, { width: 1280, height: 720, pixelclock: 74_250_000 });
  t.same(s.modes(), [
    [1024, 768],
    [1280, 720],
  ]);
  t.match(await s.owner.timings(), { state: 'online', timings: { width: 1280, height: 720 } });
  t.match(await s.owner.apply(), { state: 'online', timings: { width: 1280, height: 720 } });
});

t.test('VideoPort replies carry BtTimings', async (t) => {
  const s = await setup(t);
  await t.rejects(s.owner.timings(), { code: 'no-device' }, 'not taken: no device');
  await s.owner.take();
  t.same(await s.owner.timings(), { state: 'online', timings: DMT_1024X768_60 });
  t.same(await s.owner.query(), { state: 'online', timings: DMT_1024X768_60 });
});

t.test('setEdid validates the file first and names it when refusing', async (t) => {
  const s = await setup(t);
  await s.owner.take();
  const bad = path.join(s.runDir, 'bad.hex');
  const block = Buffer.from(await edidOf(OUR_EDID));
  block[0x7f] = (block[0x7f]! + 1) & 0xff; // broken checksum
  await fs.writeFile(bad, block.toString('hex'));
  await t.rejects(s.owner.setEdid(bad), { code: 'bad-argument', message: new RegExp(`${bad}.*checksum`, 'i') });
  await t.rejects(s.owner.setEdid(path.join(s.runDir, 'missing.hex')), { code: 'not-found', message: /missing\.hex/ });
  t.same(await s.device.getEdid(), await edidOf(OUR_EDID), 'the receiver kept our EDID');

  await s.owner.setEdid(OTHER_EDID);
  t.same(await s.device.getEdid(), await edidOf(OTHER_EDID));
  t.equal(s.owner.status().edid.ours, OTHER_EDID);
  await s.owner.setEdid(null);
  t.same(await s.device.getEdid(), await edidOf(OUR_EDID), 'null loads the configured EDID');
  await s.owner.give();
  t.same(await s.receiverEdid(), s.original, 'the original comes back, not the one loaded later');
});

t.test('an invalid configured EDID fails take before touching the receiver', async (t) => {
  const s = await setup(t);
  const bad = path.join(s.runDir, 'bad.hex');
  await fs.writeFile(bad, 'not an edid\n');
  const owner = new VideoOwner({ openDevice: () => s.device, edidFile: bad, runDir: s.runDir, source: s.source });
  await t.rejects(owner.take(), { code: 'bad-argument', message: /bad\.hex/ });
  t.same(await s.receiverEdid(), s.original);
  await t.rejects(fs.access(s.saved), 'nothing saved');
});

t.test('takeoverStep is the video step', async (t) => {
  const s = await setup(t);
  const step = s.owner.takeoverStep();
  t.equal(step.name, 'video');
  t.equal(step.video, true);
  await step.take();
  t.ok(s.owner.status().taken);
  await step.give();
  t.notOk(s.owner.status().taken);
  t.same(await s.receiverEdid(), s.original);
});

t.test('a USB grabber without EDID or DV timings is captured at its format', async (t) => {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'video-owner-usb-'));
  const device = new UsbGrabberDevice();
  const source = new V4l2FrameSource({ frameWaitMs: 30, noSignalPollMs: 30 });
  const frames: Frame[] = [];
  source.on('frame', (f) => frames.push(f));
  await source.start();
  source.setDemand(30);
  const owner = new VideoOwner({ openDevice: () => device, edidFile: OUR_EDID, runDir, source });
  t.teardown(async () => {
    await owner.give();
    await source.stop();
    await fs.rm(runDir, { recursive: true, force: true });
  });
  await owner.take();
  await until('frames', () => frames.length > 0);
  t.equal(frames[0]!.width, 1024);
  t.match(owner.status(), { signal: 'online', timings: { width: 1024, height: 768, pixelclock: 0 }, edid: { originalSaved: false } });
  await t.rejects(fs.access(path.join(runDir, ORIGINAL_EDID_FILE)), 'nothing saved');
});
