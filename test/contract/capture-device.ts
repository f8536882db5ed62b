/**
 * The CaptureDevice contract: one suite, run against the fake in unit tests
 * (test/unit/capture/fake-capture.test.ts) and against the real V4L2 implementation on vivid in
 * the kernel tier (test/kernel/guest/v4l2.test.ts). Whatever passes here behaves like an HDMI
 * receiver to the rest of the video stack.
 */
import type { Test } from 'tap';
import type { BtTimings, CaptureDevice } from '../../agent/capture/capture-device';
import { DMT_1024X768_60 } from '../../agent/capture/timings';

export type SourceSignal = 'online' | 'no-signal' | 'no-sync' | 'out-of-range';

export interface CaptureHarness {
  /** A closed device; the suite opens and closes it. */
  device: CaptureDevice;
  /** Makes the source present a condition (fake: directly; vivid: its dv_timings_signal_mode control). */
  setSignal(signal: SourceSignal): Promise<void>;
  /** Undoes what the harness set up (restores the source to online). */
  cleanup(): Promise<void>;
}

/** CEA-861 1280×720p60 (include/uapi/linux/v4l2-dv-timings.h). */
export const CEA_1280X720_60: Readonly<BtTimings> = Object.freeze({
  width: 1280,
  height: 720,
  interlaced: false,
  hsyncPositive: true,
  vsyncPositive: true,
  pixelclock: 74_250_000,
  hfrontporch: 110,
  hsync: 40,
  hbackporch: 220,
  vfrontporch: 5,
  vsync: 5,
  vbackporch: 20,
  ilVfrontporch: 0,
  ilVsync: 0,
  ilVbackporch: 0,
  standards: 0x1,
  flags: 0,
});

/** The fields a receiver must keep exactly (it may add flags or standards of its own preset). */
function geometry(t: BtTimings): Partial<BtTimings> {
  const { standards: _s, flags: _f, ...rest } = t;
  return rest;
}

/** A 2-block EDID with valid checksums whose bytes depend on `seed`. */
export function testEdid(seed: number): Buffer {
  const edid = Buffer.alloc(256);
  Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]).copy(edid, 0);
  edid[18] = 1;
  edid[19] = 4;
  for (let i = 20; i < 126; i++) edid[i] = (i * 7 + seed) & 0xff;
  edid[126] = 1; // one extension block follows
  edid[128] = 0x02; // CTA-861 extension tag
  edid[129] = 0x03;
  edid[130] = 4; // no data blocks, detailed timings would start here
  for (let i = 131; i < 255; i++) edid[i] = (i + seed) & 0xff;
  for (const block of [0, 1]) {
    let sum = 0;
    for (let i = block * 128; i < block * 128 + 127; i++) sum += edid[i]!;
    edid[block * 128 + 127] = (256 - (sum % 256)) % 256;
  }
  return edid;
}

export function captureDeviceContract(t: Test, name: string, factory: () => Promise<CaptureHarness>): void {
  const withDevice = (title: string, body: (t: Test, h: CaptureHarness) => Promise<void>) =>
    t.test(`${name}: ${title}`, async (t) => {
      const h = await factory();
      await h.device.open();
      try {
        await body(t, h);
      } finally {
        await h.device.close();
        await h.cleanup();
      }
    });

  withDevice('EDID round trip is byte-identical', async (t, h) => {
    const edid = testEdid(42);
    await h.device.setEdid(edid);
    const back = await h.device.getEdid();
    t.equal(back.length, 256);
    t.ok(back.equals(edid), 'same bytes');
    const one = testEdid(7).subarray(0, 128);
    one[126] = 0;
    one[127] = 0;
    let sum = 0;
    for (let i = 0; i < 127; i++) sum += one[i]!;
    one[127] = (256 - (sum % 256)) % 256;
    await h.device.setEdid(one);
    t.ok((await h.device.getEdid()).equals(one), 'a shorter EDID replaces a longer one');
  });

  withDevice('an EDID that is not whole blocks with checksums is refused and changes nothing', async (t, h) => {
    const good = testEdid(1);
    await h.device.setEdid(good);
    await t.rejects(h.device.setEdid(good.subarray(0, 200)), { code: 'bad-argument' });
    const badSum = Buffer.from(good);
    badSum[130] = (badSum[130]! + 1) & 0xff;
    await t.rejects(h.device.setEdid(badSum), { code: 'bad-argument', message: /block 1/ });
    t.ok((await h.device.getEdid()).equals(good), 'previous EDID still there');
  });

  withDevice('clearing the EDID means no signal; restoring it brings the signal back', async (t, h) => {
    const edid = testEdid(3);
    await h.device.setEdid(edid);
    t.equal((await h.device.queryDvTimings()).state, 'online');
    await h.device.setEdid(Buffer.alloc(0));
    t.equal((await h.device.getEdid()).length, 0);
    t.same(await h.device.queryDvTimings(), { state: 'no-signal' });
    await h.device.setEdid(edid);
    t.equal((await h.device.queryDvTimings()).state, 'online');
  });

  withDevice('signal conditions are states, each announced as a source change', async (t, h) => {
    await h.device.setEdid(testEdid(5));
    for (const signal of ['no-signal', 'no-sync', 'out-of-range', 'online'] as const) {
      while ((await h.device.nextSourceChange(0)) !== null);
      await h.setSignal(signal);
      const q = await h.device.queryDvTimings();
      t.equal(q.state, signal, `query reports ${signal}`);
      const change = await h.device.nextSourceChange(2000);
      t.ok(change !== null, `source change event after ${signal}`);
    }
    t.equal(await h.device.nextSourceChange(50), null, 'no event without a change');
  });

  withDevice('applied DV timings read back, the query follows, and the format takes their size', async (t, h) => {
    await h.device.setEdid(testEdid(9));
    await h.device.setDvTimings(CEA_1280X720_60);
    t.same(geometry(await h.device.getDvTimings()), geometry(CEA_1280X720_60));
    await h.device.setDvTimings(DMT_1024X768_60);
    const got = await h.device.getDvTimings();
    t.same(geometry(got), geometry(DMT_1024X768_60));
    const q = await h.device.queryDvTimings();
    t.equal(q.state, 'online');
    if (q.state === 'online') t.same(geometry(q.timings), geometry(DMT_1024X768_60));
    const format = await h.device.getFormat();
    t.equal(format.width, 1024);
    t.equal(format.height, 768);
  });

  withDevice('buffers fill at the source rate; unread, the oldest wait and the rest are dropped', async (t, h) => {
    await h.device.setEdid(testEdid(13));
    await h.device.setDvTimings(DMT_1024X768_60);
    await h.device.setFormat({ pixelformat: 'UYVY' });
    await h.device.startStreaming(4);
    const first = await h.device.nextFrame(5000, () => 'skip');
    t.ok(first !== null, 'the stream runs');
    t.equal(first?.data.length, 0, 'a skipped buffer is not copied');
    // About 30 frames of a 60 Hz source; the driver holds 4 buffers (it may grant a few more).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = [];
    for (let f = await h.device.nextFrame(0, () => 'skip'); f !== null && waiting.length <= 32; f = await h.device.nextFrame(0, () => 'skip')) waiting.push(f);
    t.ok(waiting.length >= 1 && waiting.length <= 8, `${waiting.length} filled buffers waited, not one per source frame`);
    const seq = waiting.map((f) => f.sequence);
    t.ok(seq.every((s, i) => i === 0 || s >= seq[i - 1]!), `oldest first (${seq.join(', ')})`);
    let lent = 0;
    const fresh = await h.device.nextFrame(5000, (pixels, info) => {
      lent = pixels.length;
      t.equal(info.sequence > seq.at(-1)!, true, 'the next frame is newer than every waiting one');
      return 'used';
    });
    t.ok(fresh !== null && fresh.data.length === 0, 'used in place: not copied');
    t.ok(lent >= 1024 * 768 * 2, `the lent buffer holds the frame (${lent} bytes)`);
    await h.device.stopStreaming();
  });

  withDevice('frames have the negotiated size; timings cannot change while streaming', async (t, h) => {
    await h.device.setEdid(testEdid(11));
    await h.device.setDvTimings(DMT_1024X768_60);
    const format = await h.device.setFormat({ pixelformat: 'UYVY' });
    t.equal(format.pixelformat, 'UYVY');
    t.ok(format.bytesperline >= 1024 * 2, 'bytesperline holds a UYVY line');
    t.ok(format.sizeimage >= format.bytesperline * 768, 'sizeimage holds the frame');
    await h.device.startStreaming(4);
    t.ok(h.device.streaming);
    await t.rejects(h.device.setDvTimings(CEA_1280X720_60), { code: 'busy' });
    await h.device.setDvTimings(DMT_1024X768_60); // the timings it has: accepted even while streaming
    const frames = [];
    for (let i = 0; i < 3; i++) {
      const frame = await h.device.nextFrame(5000);
      if (frame === null) break;
      frames.push(frame);
    }
    t.equal(frames.length, 3, 'three frames');
    for (const f of frames) {
      t.match(f, { width: 1024, height: 768, pixelformat: 'UYVY', bytesperline: format.bytesperline });
      t.equal(f.data.length, format.sizeimage, 'a whole frame');
    }
    // vivid derives the sequence from its timer thread; under emulation on a loaded machine two
    // consecutive buffers were once seen with the same number. Order must hold and time must pass.
    const seq = frames.map((f) => f.sequence);
    t.ok(seq[1]! >= seq[0]! && seq[2]! >= seq[1]! && seq[2]! > seq[0]!, `sequence grows (${seq.join(', ')})`);
    t.ok(frames[2]!.timestamp >= frames[0]!.timestamp, 'timestamps do not go back');
    await h.device.stopStreaming();
    t.notOk(h.device.streaming);
    await h.device.stopStreaming(); // idempotent
    await h.device.setDvTimings(CEA_1280X720_60);
    t.equal((await h.device.getFormat()).width, 1280, 'after stopping, new timings apply');
    await h.device.setDvTimings(DMT_1024X768_60);
  });
}
