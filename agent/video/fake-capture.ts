/**
 * An in-memory HDMI capture device that follows the same contract as the V4L2 one (checked by
 * test/contract/capture-device.ts against both). Its behaviour copies vivid's HDMI input
 * (drivers/media/test-drivers/vivid/vivid-vid-cap.c): no EDID or no signal → `no-signal`
 * (ENOLINK), no lock → `no-sync` (ENOLCK), out of range → `out-of-range` (ERANGE); with a signal
 * the source sends the receiver's current timings; S_DV_TIMINGS while streaming → EBUSY; a change
 * of the source queues a V4L2_EVENT_SOURCE_CHANGE. Frames are UYVY-sized and carry their sequence
 * number in the first bytes, so tests can tell them apart.
 */
import { AgentError } from '../errors';
import {
  type BtTimings,
  type CaptureDevice,
  type CaptureFormat,
  type CaptureFrame,
  type SourceChange,
  type TimingsQuery,
  edidProblem,
} from './capture-device';
import { DMT_1024X768_60 } from './v4l2/timings';

export type FakeSignal = 'online' | 'no-signal' | 'no-sync' | 'out-of-range';

/** Formats the fake "hardware" can deliver, with bytes per pixel (TC358743 gives UYVY or RGB24). */
const BYTES_PER_PIXEL: Readonly<Record<string, number>> = { UYVY: 2, YUYV: 2, RGB3: 3 };

/** A minimal valid EDID base block (header, version 1.4, checksum), 128 bytes. */
export function minimalEdidBlock(): Buffer {
  const block = Buffer.alloc(128);
  Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]).copy(block, 0);
  block[18] = 1; // EDID version 1
  block[19] = 4; // revision 4
  let sum = 0;
  for (let i = 0; i < 127; i++) sum += block[i]!;
  block[127] = (256 - (sum % 256)) % 256;
  return block;
}

/** What `v4l2_match_dv_timings` compares (drivers/media/v4l2-core/v4l2-dv-timings.c). */
function sameTimings(a: BtTimings, b: BtTimings): boolean {
  const keys: (keyof BtTimings)[] = ['width', 'height', 'interlaced', 'hsyncPositive', 'vsyncPositive', 'pixelclock',
    'hfrontporch', 'hsync', 'hbackporch', 'vfrontporch', 'vsync', 'vbackporch', 'ilVfrontporch', 'ilVsync', 'ilVbackporch'];
  return keys.every((k) => a[k] === b[k]);
}

export class FakeCaptureDevice implements CaptureDevice {
  private opened = false;
  private edid: Buffer = minimalEdidBlock();
  private timings: BtTimings = { ...DMT_1024X768_60 };
  private pixelformat = 'UYVY';
  private signal: FakeSignal = 'online';
  private events: SourceChange[] = [];
  private eventWaiters: (() => void)[] = [];
  private sequence = 0;
  private streamingNow = false;

  get streaming(): boolean {
    return this.streamingNow;
  }

  // ---- test controls: what the source (the machine under test) does ----

  /** The source changes its signal; like vivid's dv_timings_signal_mode control, queues an event. */
  setSignal(signal: FakeSignal): void {
    this.signal = signal;
    this.pushSourceChange();
  }

  // ---- CaptureDevice ----

  async open(): Promise<void> {
    if (this.opened) throw new AgentError('busy', 'fake capture device already open');
    this.opened = true;
  }

  async close(): Promise<void> {
    await this.stopStreaming();
    this.opened = false;
    this.events = [];
  }

  private requireOpen(what: string): void {
    if (!this.opened) throw new AgentError('no-device', `${what}: capture device is not open`);
  }

  async getEdid(): Promise<Buffer> {
    this.requireOpen('getEdid');
    return Buffer.from(this.edid);
  }

  async setEdid(edid: Buffer): Promise<void> {
    this.requireOpen('setEdid');
    const problem = edidProblem(edid);
    if (problem !== undefined) throw new AgentError('bad-argument', problem);
    this.edid = Buffer.from(edid);
  }

  async queryDvTimings(): Promise<TimingsQuery> {
    this.requireOpen('queryDvTimings');
    if (this.signal === 'no-signal' || this.edid.length === 0) return { state: 'no-signal' };
    if (this.signal === 'no-sync') return { state: 'no-sync' };
    if (this.signal === 'out-of-range') return { state: 'out-of-range' };
    return { state: 'online', timings: { ...this.timings } };
  }

  async getDvTimings(): Promise<BtTimings> {
    this.requireOpen('getDvTimings');
    return { ...this.timings };
  }

  async setDvTimings(timings: BtTimings): Promise<void> {
    this.requireOpen('setDvTimings');
    if (timings.width <= 0 || timings.height <= 0 || timings.pixelclock <= 0) {
      throw new AgentError('bad-argument', `VIDIOC_S_DV_TIMINGS: EINVAL (${timings.width}x${timings.height})`);
    }
    // vivid and tc358743 accept the timings they already have even while streaming.
    if (sameTimings(timings, this.timings)) return;
    if (this.streamingNow) throw new AgentError('busy', 'VIDIOC_S_DV_TIMINGS: EBUSY');
    this.timings = { ...timings };
  }

  async nextSourceChange(timeoutMs: number): Promise<SourceChange | null> {
    this.requireOpen('nextSourceChange');
    const ready = this.events.shift();
    if (ready !== undefined) return ready;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.eventWaiters = this.eventWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.eventWaiters.push(done);
    });
    return this.events.shift() ?? null;
  }

  async getFormat(): Promise<CaptureFormat> {
    this.requireOpen('getFormat');
    return this.currentFormat();
  }

  async setFormat(want: Partial<Pick<CaptureFormat, 'pixelformat' | 'width' | 'height'>>): Promise<CaptureFormat> {
    this.requireOpen('setFormat');
    if (this.streamingNow) throw new AgentError('busy', 'cannot change the format while streaming');
    // Like an HDMI receiver without a scaler: the size follows the timings; only the pixel format
    // can be chosen, and an unknown one is replaced by the current one (S_FMT never fails on that).
    if (want.pixelformat !== undefined && BYTES_PER_PIXEL[want.pixelformat] !== undefined) {
      this.pixelformat = want.pixelformat;
    }
    return this.currentFormat();
  }

  async startStreaming(): Promise<void> {
    this.requireOpen('startStreaming');
    this.streamingNow = true;
  }

  async stopStreaming(): Promise<void> {
    this.streamingNow = false;
  }

  async nextFrame(timeoutMs: number, wanted: () => boolean = () => true): Promise<CaptureFrame | null> {
    this.requireOpen('nextFrame');
    if (!this.streamingNow) throw new AgentError('bad-argument', 'not streaming');
    if (this.signal !== 'online' || this.edid.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      return null;
    }
    const format = this.currentFormat();
    const sequence = this.sequence++;
    const data = wanted() ? Buffer.alloc(format.sizeimage, 0x80) : Buffer.alloc(0);
    if (data.length) data.writeUInt32LE(sequence, 0);
    return {
      data,
      width: format.width,
      height: format.height,
      pixelformat: format.pixelformat,
      bytesperline: format.bytesperline,
      sequence,
      timestamp: Number(process.hrtime.bigint() / 1000n),
    };
  }

  private currentFormat(): CaptureFormat {
    const bytesperline = this.timings.width * BYTES_PER_PIXEL[this.pixelformat]!;
    return {
      pixelformat: this.pixelformat,
      width: this.timings.width,
      height: this.timings.height,
      bytesperline,
      sizeimage: bytesperline * this.timings.height,
    };
  }

  private pushSourceChange(): void {
    if (!this.opened) return;
    this.events.push({ changes: 1 });
    for (const wake of this.eventWaiters.splice(0)) wake();
  }
}
