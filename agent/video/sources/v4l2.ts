/**
 * The V4L2 frame source: a persistent mmap stream over a `CaptureDevice` that dequeues every buffer
 * at the source rate (so the driver never runs out of buffers and the newest frame is always at
 * hand) and converts only the frames someone wants — at most the highest demanded rate, none at
 * demand 0.
 *
 * The device is attached by the video owner while it holds it (`attach`/`detach`); the frame hub
 * starts and stops the source itself. Without a device the state is `no-device`.
 *
 * Following the source, the way ustreamer does on PiKVM (src/ustreamer/device.c, `us_device_open`
 * re-run after `V4L2_EVENT_SOURCE_CHANGE`, and its "no signal" loop):
 * - a source-change event or a frame of another size → re-negotiate: STREAMOFF, QUERY_DV_TIMINGS,
 *   S_DV_TIMINGS, S_FMT, STREAMON (the TC358743 refuses S_DV_TIMINGS while streaming, EBUSY);
 * - no frame for 2 s while the signal is present → watchdog restart (the bridge sometimes stops
 *   delivering after a glitch on the link without sending an event);
 * - no signal → offline state, the query is polled every 500 ms (also woken early by an event),
 *   logged once per change of state.
 * Every device wait is bounded (`nextFrame`/`nextSourceChange` with a timeout) and the loop yields
 * to the event loop after each frame, so it never blocks the daemon.
 */
import { EventEmitter } from 'node:events';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AgentError, describe } from '../../errors';
import type { Logger } from '../../log';
import { silentLogger } from '../../log';
import type { CaptureDevice, CaptureFormat, CaptureFrame, TimingsQuery } from '../capture-device';
import { toRgb24 } from '../convert';
import { type Frame, type FrameSource, type FrameSourceEvents, nextSignalState, type SignalReport, type SignalState } from '../frame';
import { type BeforeNegotiate, FOURCC_FORMATS, type Negotiate, chooseFormat, queryAndApply } from './v4l2-negotiate';

export { type BeforeNegotiate, type Negotiate, queryAndApply, timingsOfFormat } from './v4l2-negotiate';

export interface V4l2FrameSourceOptions {
  logger?: Logger;
  /** RGB24 arrives with red and blue exchanged (config `video.swap_rb`). */
  swapRedBlue?: boolean;
  /** ms clock of the frame hub */
  now?: () => number;
  /** restart capture after this long without a frame while the signal is present */
  watchdogMs?: number;
  /** how often the query is repeated while there is no signal */
  noSignalPollMs?: number;
  /** bound of one wait for a frame */
  frameWaitMs?: number;
  bufferCount?: number;
}

interface Attachment {
  device: CaptureDevice;
  negotiate: Negotiate;
}

export class V4l2FrameSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly swapRedBlue: boolean;
  private readonly watchdogMs: number;
  private readonly noSignalPollMs: number;
  private readonly frameWaitMs: number;
  private readonly bufferCount: number;
  private running = false;
  private attachment: Attachment | undefined;
  private loop: Promise<void> | undefined;
  private loopStop = false;
  private demand = 0;
  private nextDue = 0;
  private lastFrameAt = 0;
  private format: CaptureFormat | undefined;
  private signal: SignalState;
  private renegotiateWaiters: { before: BeforeNegotiate | undefined; wake: (q: TimingsQuery | Error) => void }[] = [];
  private lastError = '';
  /** buffers dequeued, frames converted and watchdog restarts so far (status, tests) */
  readonly counters = { dequeued: 0, converted: 0, watchdogRestarts: 0, negotiations: 0 };

  constructor(options: V4l2FrameSourceOptions = {}) {
    super();
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? (() => performance.now());
    this.swapRedBlue = options.swapRedBlue ?? false;
    this.watchdogMs = options.watchdogMs ?? 2000;
    this.noSignalPollMs = options.noSignalPollMs ?? 500;
    this.frameWaitMs = options.frameWaitMs ?? 200;
    this.bufferCount = options.bufferCount ?? 4;
    this.signal = { online: false, reason: 'no-device', changedAt: this.now() };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.emit('state', { ...this.signal });
    this.startLoop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.stopLoop();
  }

  setDemand(fps: number): void {
    this.demand = Math.max(0, fps);
  }

  state(): SignalState {
    return { ...this.signal };
  }

  /** The owner lends its opened device; capture follows it until `detach`. */
  async attach(device: CaptureDevice, negotiate: Negotiate = queryAndApply): Promise<void> {
    await this.detach();
    this.attachment = { device, negotiate };
    this.startLoop();
  }

  /** Stops capture (STREAMOFF, buffers freed) and forgets the device; the owner then closes it. */
  async detach(): Promise<void> {
    const attachment = this.attachment;
    await this.stopLoop();
    this.attachment = undefined;
    if (attachment) await attachment.device.stopStreaming();
    this.format = undefined;
    this.setSignal({ online: false, reason: 'no-device' });
  }

  /**
   * Re-negotiate now (v4l2-ctl --set-dv-bt-timings query); resolves with what the source sends.
   * `before` runs on the device after STREAMOFF, before the query.
   */
  renegotiate(before?: BeforeNegotiate): Promise<TimingsQuery> {
    if (!this.attachment) return Promise.reject(new AgentError('no-device', 'the capture device is not taken'));
    if (!this.loop) return this.renegotiateNow(this.attachment, before ? [before] : []);
    return new Promise((resolve, reject) => {
      this.renegotiateWaiters.push({ before, wake: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  }

  private startLoop(): void {
    if (this.loop || !this.running || !this.attachment) return;
    this.loopStop = false;
    const attachment = this.attachment;
    this.loop = this.run(attachment).finally(() => (this.loop = undefined));
  }

  private async stopLoop(): Promise<void> {
    this.loopStop = true;
    await this.loop;
    for (const w of this.renegotiateWaiters.splice(0)) w.wake(new AgentError('no-device', 'capture stopped'));
  }

  private async run(a: Attachment): Promise<void> {
    let renegotiate = true;
    while (!this.loopStop) {
      try {
        if (renegotiate || this.renegotiateWaiters.length > 0) {
          renegotiate = false;
          const waiters = this.renegotiateWaiters.splice(0);
          const befores = waiters.flatMap((w) => (w.before ? [w.before] : []));
          const result = await this.renegotiateNow(a, befores).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
          for (const w of waiters) w.wake(result);
          if (result instanceof Error) throw result;
        }
        if (!a.device.streaming) {
          // No signal: wait for an event or the poll interval, then query again.
          await a.device.nextSourceChange(this.noSignalPollMs);
          renegotiate = true;
          continue;
        }
        renegotiate = await this.captureOne(a.device);
        if (!renegotiate && (await a.device.nextSourceChange(0)) !== null) renegotiate = true;
        this.lastError = '';
        await yieldToEventLoop();
      } catch (e) {
        const message = describe(e);
        if (message !== this.lastError) this.log.warn('capture failed; retrying', { error: message });
        this.lastError = message;
        if (e instanceof AgentError && e.code === 'no-device') this.setSignal({ online: false, reason: 'no-device' });
        await a.device.stopStreaming().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, this.noSignalPollMs));
        renegotiate = true;
      }
    }
  }

  /** Dequeue one frame (bounded wait); true when the stream must be re-negotiated. */
  private async captureOne(device: CaptureDevice): Promise<boolean> {
    let asked = false;
    let due = false;
    const frame = await device.nextFrame(this.frameWaitMs, () => {
      asked = true;
      due = this.isDue(this.now());
      return due;
    });
    const t = this.now();
    if (frame === null) {
      if (t - this.lastFrameAt < this.watchdogMs) return false;
      this.counters.watchdogRestarts++;
      this.log.warn('no frame while the signal is present; restarting capture', { ms: Math.round(t - this.lastFrameAt) });
      return true;
    }
    this.counters.dequeued++;
    this.lastFrameAt = t;
    const format = this.format;
    if (format && format.pixelformat !== 'MJPG' && (frame.width !== format.width || frame.height !== format.height)) return true;
    if (!asked) due = this.isDue(t); // a device that copies every frame anyway
    if (due && frame.data.length > 0) await this.convert(frame, t);
    return false;
  }

  private isDue(t: number): boolean {
    if (this.demand <= 0) return false;
    const period = 1000 / this.demand;
    // A source frame period of slack (frames arrive on the source's grid, not ours).
    if (t + Math.min(period / 2, 10) < this.nextDue) return false;
    this.nextDue = Math.max(this.nextDue + period, t + period / 2);
    return true;
  }

  private async convert(frame: CaptureFrame, t: number): Promise<void> {
    const format = FOURCC_FORMATS[frame.pixelformat];
    if (format === undefined) throw new AgentError('not-supported', `pixel format ${frame.pixelformat} cannot be converted`);
    const image = await toRgb24(frame.data, {
      format,
      width: frame.width,
      height: frame.height,
      bytesPerLine: frame.bytesperline,
      swapRedBlue: this.swapRedBlue,
    });
    this.counters.converted++;
    const out: Frame = { width: image.width, height: image.height, rgb: image.rgb, sequence: frame.sequence, capturedAt: t, online: true };
    if (!this.signal.online || this.signal.width !== image.width || this.signal.height !== image.height) {
      this.setSignal({ online: true, width: image.width, height: image.height });
    }
    this.emit('frame', out);
  }

  /** STREAMOFF, query + apply, S_FMT, STREAMON; offline when the source sends nothing usable. */
  private async renegotiateNow(a: Attachment, befores: BeforeNegotiate[] = []): Promise<TimingsQuery> {
    this.counters.negotiations++;
    await a.device.stopStreaming();
    this.format = undefined;
    for (const before of befores) await before(a.device);
    const q = await a.negotiate(a.device);
    if (q.state !== 'online') {
      this.setSignal({ online: false, reason: q.state });
      return q;
    }
    this.format = await chooseFormat(a.device, q.timings.width, q.timings.height);
    await a.device.startStreaming(this.bufferCount);
    this.lastFrameAt = this.now();
    this.setSignal({ online: true, width: this.format.width, height: this.format.height });
    return q;
  }

  private setSignal(next: SignalReport): void {
    const before = this.signal;
    const state = nextSignalState(before, next, this.now());
    if (state === null) return;
    this.signal = state;
    if (before.online !== next.online || before.reason !== next.reason) {
      this.log.info(next.online ? 'capture online' : 'capture offline', { reason: next.reason, width: state.width, height: state.height });
    }
    if (this.running) this.emit('state', { ...this.signal });
  }
}
