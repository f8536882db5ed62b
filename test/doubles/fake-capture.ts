/**
 * An in-memory HDMI capture device that follows the same contract as the V4L2 one (checked by
 * test/contract/capture-device.ts against both). Its behaviour copies vivid's HDMI input
 * (drivers/media/test-drivers/vivid/vivid-vid-cap.c): no EDID or no signal → `no-signal`
 * (ENOLINK), no lock → `no-sync` (ENOLCK), out of range → `out-of-range` (ERANGE); with a signal
 * the source sends the receiver's current timings; S_DV_TIMINGS while streaming → EBUSY; a change
 * of the source queues a V4L2_EVENT_SOURCE_CHANGE. Frames are UYVY-sized and carry their sequence
 * number in the first bytes, so tests can tell them apart.
 *
 * Frames arrive on the source's clock, as from a vb2 driver: one frame per refresh period of the
 * timings (or `frameIntervalMs`) lands in the oldest queued buffer; with every buffer filled and
 * none given back, the driver drops frames and the sequence counter skips them (vivid counts them
 * in its drop counter, drivers/media/test-drivers/vivid/vivid-kthread-cap.c; the Pi's unicam writes
 * into its dummy buffer, drivers/media/platform/broadcom/bcm2835-unicam.c). `nextFrame` returns the
 * oldest filled buffer at once, or waits for the next one.
 */
import { AgentError } from '../../agent/errors';
import {
  type BtTimings,
  type CaptureDevice,
  type CaptureFormat,
  type CaptureFrame,
  type FrameTaker,
  type SourceChange,
  type TimingsQuery,
  edidProblem,
} from '../../agent/capture/capture-device';
import { DMT_1024X768_60, refreshRate } from '../../agent/capture/timings';

export type FakeSignal = 'online' | 'no-signal' | 'no-sync' | 'out-of-range';

/** Formats the fake "hardware" can deliver, with bytes per pixel (TC358743 gives UYVY or RGB24). */
const BYTES_PER_PIXEL: Readonly<Record<string, number>> = { UYVY: 2, YUYV: 2, RGB3: 3 };

/** A minimal valid EDID base block (header, version 1.4, checksum), 128 bytes. */
function minimalEdidBlock(): Buffer {
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

export interface FakeCaptureOptions {
  /** ms between source frames; default: the refresh period of the current timings */
  frameIntervalMs?: number;
}

/** A started stream: the "mapped" buffers and which source frames have landed in them. */
interface FakeStream {
  startedAt: number;
  buffers: Buffer[];
  /** indexes of queued (empty) buffers, in the order the driver fills them */
  queued: number[];
  /** filled buffers not yet dequeued, oldest first */
  filled: { index: number; sequence: number }[];
  /** source frames elapsed since STREAMON (delivered or dropped) */
  produced: number;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class FakeCaptureDevice implements CaptureDevice {
  private opened = false;
  private edid: Buffer = minimalEdidBlock();
  private timings: BtTimings = { ...DMT_1024X768_60 };
  private pixelformat = 'UYVY';
  private signal: FakeSignal = 'online';
  private events: SourceChange[] = [];
  private eventWaiters: (() => void)[] = [];
  private stream: FakeStream | undefined;

  constructor(private readonly options: FakeCaptureOptions = {}) {}

  get streaming(): boolean {
    return this.stream !== undefined;
  }

  // ---- test controls: what the source (the machine under test) does ----

  /** The source changes its signal; like vivid's dv_timings_signal_mode control, queues an event. */
  setSignal(signal: FakeSignal): void {
    this.signal = signal;
    this.pushSourceChange();
  }

  /** Frames the source has sent since STREAMON (delivered or dropped); 0 when not streaming. */
  sourceFrameCount(): number {
    const stream = this.stream;
    return stream ? Math.floor((nowMs() - stream.startedAt) / this.frameIntervalMs()) : 0;
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
    if (this.streaming) throw new AgentError('busy', 'VIDIOC_S_DV_TIMINGS: EBUSY');
    this.timings = { ...timings };
  }

  async nextSourceChange(timeoutMs: number): Promise<SourceChange | null> {
    this.requireOpen('nextSourceChange');
    const ready = this.events.shift();
    if (ready !== undefined || timeoutMs <= 0) return ready ?? null;
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
    if (this.streaming) throw new AgentError('busy', 'cannot change the format while streaming');
    // Like an HDMI receiver without a scaler: the size follows the timings; only the pixel format
    // can be chosen, and an unknown one is replaced by the current one (S_FMT never fails on that).
    if (want.pixelformat !== undefined && BYTES_PER_PIXEL[want.pixelformat] !== undefined) {
      this.pixelformat = want.pixelformat;
    }
    return this.currentFormat();
  }

  async startStreaming(bufferCount = 4): Promise<void> {
    this.requireOpen('startStreaming');
    if (this.stream) return;
    const count = Math.max(1, bufferCount);
    const size = this.currentFormat().sizeimage;
    this.stream = {
      startedAt: nowMs(),
      buffers: Array.from({ length: count }, () => Buffer.alloc(size, 0x80)),
      queued: Array.from({ length: count }, (_, i) => i),
      filled: [],
      produced: 0,
    };
  }

  async stopStreaming(): Promise<void> {
    this.stream = undefined;
  }

  async nextFrame(timeoutMs: number, take: FrameTaker = () => 'copy'): Promise<CaptureFrame | null> {
    this.requireOpen('nextFrame');
    const stream = this.stream;
    if (!stream) throw new AgentError('bad-argument', 'not streaming');
    if (this.signal !== 'online' || this.edid.length === 0) {
      if (timeoutMs > 0) await sleep(timeoutMs);
      return null;
    }
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      if (this.stream !== stream) return null; // stopped while waiting
      this.fillBuffers(stream, nowMs());
      const filled = stream.filled.shift();
      if (filled !== undefined) return this.dequeue(stream, filled.index, filled.sequence, take);
      const now = nowMs();
      if (now >= deadline) return null;
      const nextFrameAt = stream.startedAt + (stream.produced + 1) * this.frameIntervalMs();
      await sleep(Math.max(0, Math.min(deadline, nextFrameAt) - now));
    }
  }

  /** ms between source frames. */
  frameIntervalMs(): number {
    if (this.options.frameIntervalMs !== undefined) return this.options.frameIntervalMs;
    const hz = refreshRate(this.timings);
    return hz > 0 ? 1000 / hz : 1000 / 60;
  }

  /** Source frames completed by `now` land in queued buffers; with none queued they are dropped. */
  private fillBuffers(stream: FakeStream, now: number): void {
    const completed = Math.floor((now - stream.startedAt) / this.frameIntervalMs());
    for (; stream.produced < completed; stream.produced++) {
      const index = stream.queued.shift();
      if (index === undefined) {
        stream.produced = completed - 1; // every later frame is dropped too
        continue;
      }
      stream.buffers[index]!.writeUInt32LE(stream.produced, 0);
      stream.filled.push({ index, sequence: stream.produced });
    }
  }

  /** Lends the buffer to `take`, copies it if asked, and queues it again. */
  private dequeue(stream: FakeStream, index: number, sequence: number, take: FrameTaker): CaptureFrame {
    const format = this.currentFormat();
    const info = {
      width: format.width,
      height: format.height,
      pixelformat: format.pixelformat,
      bytesperline: format.bytesperline,
      sequence,
      timestamp: Math.round((stream.startedAt + (sequence + 1) * this.frameIntervalMs()) * 1000),
    };
    const pixels = stream.buffers[index]!;
    let data = Buffer.alloc(0);
    try {
      if (take(pixels, info) === 'copy') data = Buffer.from(pixels);
    } finally {
      stream.queued.push(index);
    }
    return { ...info, data };
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
