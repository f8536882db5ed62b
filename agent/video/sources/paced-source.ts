/**
 * Common machinery of the software sources (synthetic pattern, simulated HDMI): a source rate,
 * a signal state, and a timer that renders at min(source rate, demand) — the same "convert only
 * what someone asked for" rule the capture source follows. Subclasses only draw.
 */
import { EventEmitter } from 'node:events';
import type { Frame, FrameSource, FrameSourceEvents, OfflineReason, SignalState } from '../frame';

export interface PacedSourceOptions {
  width?: number;
  height?: number;
  /** source refresh rate (the HDMI mode's), frames per second */
  rate?: number;
  now?: () => number;
}

export abstract class PacedSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  protected width: number;
  protected height: number;
  protected readonly rate: number;
  protected readonly now: () => number;
  private demand = 0;
  private running = false;
  private online = true;
  private reason: OfflineReason | undefined;
  private timer: NodeJS.Timeout | undefined;
  private epoch = 0;
  private changedAt = 0;
  /** frames rendered (converted) so far */
  rendered = 0;

  constructor(options: PacedSourceOptions = {}) {
    super();
    this.width = options.width ?? 1024;
    this.height = options.height ?? 768;
    this.rate = options.rate ?? 60;
    this.now = options.now ?? (() => performance.now());
  }

  /** Draw the current picture (`width*height*3` bytes) for source frame `sequence`. */
  protected abstract render(sequence: number): Buffer;

  /** Called before each render and on start: subclasses poll their model here. */
  protected refresh(): void {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.epoch = this.now();
    this.changedAt = this.epoch;
    this.refresh();
    this.emit('state', this.state());
    this.rearm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.rearm();
  }

  setDemand(fps: number): void {
    const wasIdle = this.demand === 0;
    this.demand = Math.max(0, fps);
    this.rearm();
    if (wasIdle && this.demand > 0) this.tick();
  }

  state(): SignalState {
    return {
      online: this.online,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      width: this.width,
      height: this.height,
      changedAt: this.changedAt,
    };
  }

  get isOnline(): boolean {
    return this.online;
  }

  protected setOffline(reason: OfflineReason): void {
    if (!this.online && this.reason === reason) return;
    this.online = false;
    this.reason = reason;
    this.changedAt = this.now();
    this.emit('state', this.state());
  }

  protected setOnline(): void {
    if (this.online) return;
    this.online = true;
    this.reason = undefined;
    this.changedAt = this.now();
    this.emit('state', this.state());
  }

  protected setSize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.changedAt = this.now();
    this.emit('state', this.state());
  }

  /**
   * The timer runs while someone wants frames, even when offline, so that a subclass polling a
   * model notices the signal coming back; offline ticks render nothing.
   */
  private rearm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const effective = Math.min(this.rate, this.demand);
    if (!this.running || effective <= 0) return;
    this.timer = setInterval(() => this.tick(), 1000 / effective);
  }

  /** Render a frame now if anyone wants frames (e.g. right after the signal returns). */
  protected kick(): void {
    if (this.demand > 0) this.tick();
  }

  private tick(): void {
    if (!this.running) return;
    this.refresh();
    if (!this.online) return;
    const t = this.now();
    const sequence = Math.floor(((t - this.epoch) * this.rate) / 1000);
    const rgb = this.render(sequence);
    this.rendered++;
    const frame: Frame = { width: this.width, height: this.height, rgb, sequence, capturedAt: t, online: true };
    this.emit('frame', frame);
  }
}
