/**
 * The V4L2 frame source: a persistent mmap stream over a `CaptureDevice` that converts only the
 * frames someone wants — at most the highest demanded rate, none at demand 0 — and never wakes
 * for frames nobody wants (the rules: conversion-pacer.ts). Between conversions it sleeps (a change
 * of demand wakes it), then gives every buffer that filled meanwhile back to the driver unread and
 * takes the next frame the driver completes, so the frame sent is fresh, not one that waited in the
 * queue. While all buffers are full the driver drops frames by itself at no cost to us (vb2: a
 * frame with no queued buffer is dropped — vivid counts it, the Pi's unicam writes it into its dummy
 * buffer, drivers/media/platform/broadcom/bcm2835-unicam.c). A 60 fps source delivered at 2 fps
 * costs about three wake-ups per delivered frame, not thirty. Converting: capture-converter.ts.
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
 * to the event loop after each step, so it never blocks the daemon.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AgentError, describe } from '../../errors';
import type { CaptureDevice, CaptureFormat, CaptureFrameInfo, TimingsQuery } from '../../capture/capture-device';
import { refreshRate } from '../../capture/timings';
import { CaptureConverter } from './capture-converter';
import { ConversionPacer } from './conversion-pacer';
import { SignalledSource, type SignalledSourceOptions } from './signalled-source';
import { type BeforeNegotiate, type Negotiate, chooseFormat, queryAndApply } from './v4l2-negotiate';

export { type BeforeNegotiate, type Negotiate, queryAndApply } from './v4l2-negotiate';

export interface V4l2FrameSourceOptions extends SignalledSourceOptions {
  /** RGB24 arrives with red and blue exchanged (config `video.swap_rb`). */
  swapRedBlue?: boolean;
  /** restart capture after this long without a frame while the signal is present */
  watchdogMs?: number;
  /** how often the query is repeated while there is no signal */
  noSignalPollMs?: number;
  /** bound of one wait for a frame */
  frameWaitMs?: number;
  /** longest sleep between looks at the device (events, watchdog) while no frame is due */
  idlePollMs?: number;
  bufferCount?: number;
}

/** A drain gives back at most this many buffers (the driver has a handful; a bound, not a rate). */
const MAX_DRAIN = 64;

interface Attachment {
  device: CaptureDevice;
  negotiate: Negotiate;
}

export class V4l2FrameSource extends SignalledSource {
  private readonly watchdogMs: number;
  private readonly noSignalPollMs: number;
  private readonly frameWaitMs: number;
  private readonly bufferCount: number;
  private attachment: Attachment | undefined;
  private loop: Promise<void> | undefined;
  private loopStop = false;
  private readonly pacer: ConversionPacer;
  private lastFrameAt = 0;
  private readonly converter: CaptureConverter;
  private format: CaptureFormat | undefined;
  private renegotiateWaiters: { before: BeforeNegotiate | undefined; wake: (q: TimingsQuery | Error) => void }[] = [];
  private lastError = '';
  /** buffers dequeued, frames converted and watchdog restarts so far (status, tests) */
  readonly counters = { dequeued: 0, converted: 0, watchdogRestarts: 0, negotiations: 0 };

  constructor(options: V4l2FrameSourceOptions = {}) {
    super('capture', options);
    this.converter = new CaptureConverter(options.swapRedBlue ?? false);
    this.watchdogMs = options.watchdogMs ?? 2000;
    this.noSignalPollMs = options.noSignalPollMs ?? 500;
    this.frameWaitMs = options.frameWaitMs ?? 200;
    this.pacer = new ConversionPacer(options.idlePollMs ?? 250);
    this.bufferCount = options.bufferCount ?? 4;
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
    if (this.pacer.setDemand(fps, this.now())) this.wake();
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
      this.wake();
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
    this.wake();
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
        renegotiate = await this.captureStep(a.device);
        if (!renegotiate && (await a.device.nextSourceChange(0)) !== null) renegotiate = true;
        this.lastError = '';
        await yieldToEventLoop();
      } catch (e) {
        const message = describe(e);
        if (message !== this.lastError) this.log.warn('capture failed; retrying', { error: message });
        this.lastError = message;
        if (e instanceof AgentError && e.code === 'no-device') this.setSignal({ online: false, reason: 'no-device' });
        await a.device.stopStreaming().catch(() => undefined);
        await this.sleep(this.noSignalPollMs);
        renegotiate = true;
      }
    }
  }

  protected override get halted(): boolean {
    return this.loopStop || !this.running;
  }

  /** Sleep or take a frame; true when the stream must be re-negotiated. */
  private async captureStep(device: CaptureDevice): Promise<boolean> {
    const sleepMs = this.pacer.sleepMs(this.now());
    if (sleepMs <= 0) return this.captureOne(device);
    await this.sleep(sleepMs);
    if (this.loopStop || this.renegotiateWaiters.length > 0) return false;
    if (await this.drain(device)) return true;
    return this.watchdogExpired(this.now());
  }

  /**
   * Give every buffer that filled while we slept back to the driver uncopied (they are stale);
   * true when one has another size (the mode changed).
   */
  private async drain(device: CaptureDevice): Promise<boolean> {
    for (let i = 0; i < MAX_DRAIN; i++) {
      const frame = await device.nextFrame(0, () => 'skip');
      if (frame === null) return false;
      if (this.arrived(frame, this.now())) return true;
    }
    return false;
  }

  /** Books a dequeued buffer (the stream is alive); true when it has another size (the mode changed). */
  private arrived(frame: CaptureFrameInfo, t: number): boolean {
    this.counters.dequeued++;
    this.lastFrameAt = t;
    const format = this.format;
    return format !== undefined && format.pixelformat !== 'MJPG' && (frame.width !== format.width || frame.height !== format.height);
  }

  private watchdogExpired(t: number): boolean {
    if (t - this.lastFrameAt < this.watchdogMs) return false;
    this.counters.watchdogRestarts++;
    this.log.warn('no frame while the signal is present; restarting capture', { ms: Math.round(t - this.lastFrameAt) });
    return true;
  }

  /** Dequeue one frame (bounded wait), converting it when due; true when the stream must be re-negotiated. */
  private async captureOne(device: CaptureDevice): Promise<boolean> {
    let pixels: Buffer | undefined;
    const frame = await device.nextFrame(this.frameWaitMs, (lent) => {
      if (!this.pacer.takeIfDue(this.now())) return 'skip';
      pixels = this.converter.stage(lent);
      return 'used';
    });
    const t = this.now();
    if (frame === null) return this.watchdogExpired(t);
    if (this.arrived(frame, t)) return true;
    if (pixels !== undefined) await this.convert(pixels, frame, t);
    return false;
  }

  private async convert(pixels: Buffer, info: CaptureFrameInfo, t: number): Promise<void> {
    await this.converter.convert(pixels, info, t, (frame) => {
      this.counters.converted++;
      this.setSignal({ online: true, width: frame.width, height: frame.height }); // no-op unless it changed
      this.emit('frame', frame);
    });
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
    this.pacer.setSourceRate(refreshRate(q.timings));
    await a.device.startStreaming(this.bufferCount);
    this.lastFrameAt = this.now();
    this.setSignal({ online: true, width: this.format.width, height: this.format.height });
    return q;
  }

}
