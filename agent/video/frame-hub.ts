/**
 * The frame hub: keeps the latest frame and the signal state of one source and hands frames to
 * subscribers at the rate each asked for.
 *
 * - Demand: the source is told the highest rate any subscriber wants (`setDemand`), so a 60 Hz
 *   capture converts only 2 frames a second when the only client is os-autoinst at `-r 2`.
 * - Delivery is frame-driven (a new source frame goes out at once if the subscriber is due, so
 *   frames are fresh) with a timer fallback (while offline the placeholder goes out at the
 *   subscriber's rate; online, if the source missed a whole slot, the latest frame goes out
 *   again), so a stalled or dark source never stalls a stream.
 * - No back-pressure reaches the hub: delivery is a synchronous call and subscribers that cannot
 *   keep up drop frames on their side (the HTTP layer checks the socket's buffered bytes).
 * - Offline: like ustreamer, while there is no signal the hub serves a placeholder frame marked
 *   `online: false` with the reason ("NO SIGNAL" rendered at the last known size), never an error.
 * - Pooled pixels: the hub holds the latest frame (agent/video/rgb-pool.ts) until another replaces
 *   it; a subscriber that keeps the pixels after its synchronous delivery takes its own hold.
 */
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { AgentError } from '../errors';
import type { Frame, FrameSource, OfflineReason, SignalState } from './frame';
import { type Release, holdPixels } from './rgb-pool';
import { type SignalReport, signalReport } from './signal-report';
import { renderNoSignal } from './sources/pattern';

/**
 * A one-shot frame request (`/frame.png`) must show the present: someone who just typed expects
 * to see it. Older frames are refreshed; a live source delivers within a frame interval.
 */
export const SNAPSHOT_MAX_AGE_MS = 50;

export interface FrameHubOptions {
  source: FrameSource;
  logger?: Logger;
  now?: () => number;
  /** highest rate a subscriber may ask for */
  maxFps?: number;
  /** size of the placeholder before any mode is known */
  defaultWidth?: number;
  defaultHeight?: number;
}

export type FrameListener = (frame: Frame, deliveredAt: number) => void;

export interface Subscription {
  readonly fps: number;
  /** frames handed to the listener */
  readonly delivered: number;
  close(): void;
}

interface Subscriber {
  fps: number;
  period: number;
  nextDue: number;
  delivered: number;
  lastSequence: number;
  listener: FrameListener;
  timer: NodeJS.Timeout | undefined;
  closed: boolean;
}

export class FrameHub {
  private readonly source: FrameSource;
  private readonly log: Logger;
  private readonly now: () => number;
  readonly maxFps: number;
  private readonly subscribers = new Set<Subscriber>();
  private readonly snapshotWaiters = new Set<() => void>();
  private current: Frame | undefined;
  private releaseCurrent: Release | undefined;
  private state: SignalState;
  private placeholder: Frame | undefined;
  private placeholderSequence = 0;
  private started = false;
  private readonly onFrame = (frame: Frame) => this.acceptFrame(frame);
  private readonly onState = (state: SignalState) => this.acceptState(state);

  constructor(options: FrameHubOptions) {
    this.source = options.source;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? (() => performance.now());
    this.maxFps = options.maxFps ?? 30;
    this.state = {
      online: false,
      reason: 'stopped',
      width: options.defaultWidth ?? 1024,
      height: options.defaultHeight ?? 768,
      changedAt: 0,
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.source.on('frame', this.onFrame);
    this.source.on('state', this.onState);
    await this.source.start();
    this.updateDemand();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const sub of [...this.subscribers]) this.unsubscribe(sub);
    for (const wake of [...this.snapshotWaiters]) wake();
    this.source.off('frame', this.onFrame);
    this.source.off('state', this.onState);
    this.source.setDemand(0);
    await this.source.stop();
    this.acceptState({ ...this.state, online: false, reason: 'stopped', changedAt: this.now() });
    this.setCurrent(undefined);
  }

  signal(): SignalState {
    return { ...this.state };
  }

  /** The signal for status documents: wall-clock time of the last change and a sentence. */
  signalReport(): SignalReport {
    return signalReport(this.state, this.now());
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The latest frame while online, else the placeholder for the current reason. */
  latest(): Frame {
    if (this.state.online && this.current) return this.current;
    return this.offlineFrame();
  }

  /**
   * A fresh frame for one-shot requests: if the latest is older than `maxAgeMs`, raise the demand
   * until the source delivers one (at most `timeoutMs`), then return whatever is latest. A caller
   * that keeps the pixels across an `await` takes a hold (`holdPixels`) right when this resolves.
   */
  async snapshot(maxAgeMs = SNAPSHOT_MAX_AGE_MS, timeoutMs = 1000): Promise<Frame> {
    const fresh = this.current && this.now() - this.current.capturedAt <= maxAgeMs;
    if (!this.started || !this.state.online || fresh) return this.latest();
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (this.snapshotWaiters.delete(wake)) this.updateDemand();
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.snapshotWaiters.add(wake);
      this.updateDemand();
    });
    return this.latest();
  }

  subscribe(fps: number, listener: FrameListener): Subscription {
    if (!Number.isInteger(fps) || fps < 1 || fps > this.maxFps) {
      throw new AgentError('bad-argument', `fps must be an integer from 1 to ${this.maxFps}, got ${fps}`);
    }
    const sub: Subscriber = {
      fps,
      period: 1000 / fps,
      nextDue: this.now(),
      delivered: 0,
      lastSequence: -1,
      listener,
      timer: undefined,
      closed: false,
    };
    this.subscribers.add(sub);
    this.updateDemand(); // may convert (and deliver) a frame at once
    // The first frame goes out at once: consumers measure their start-up by it.
    if (sub.delivered === 0) this.deliver(sub, this.latest(), this.now());
    const hub = this;
    return {
      fps,
      get delivered() {
        return sub.delivered;
      },
      close: () => hub.unsubscribe(sub),
    };
  }

  private unsubscribe(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    if (sub.timer) clearTimeout(sub.timer);
    this.subscribers.delete(sub);
    this.updateDemand();
  }

  private updateDemand(): void {
    let demand = 0;
    for (const sub of this.subscribers) demand = Math.max(demand, sub.fps);
    if (this.snapshotWaiters.size > 0) demand = Math.max(demand, Math.min(10, this.maxFps));
    if (this.started) this.source.setDemand(demand);
  }

  private setCurrent(frame: Frame | undefined): void {
    const release = this.releaseCurrent;
    this.current = frame;
    this.releaseCurrent = frame ? holdPixels(frame) : undefined;
    release?.();
  }

  private acceptFrame(frame: Frame): void {
    this.setCurrent(frame);
    if (!this.state.online || frame.width !== this.state.width || frame.height !== this.state.height) {
      this.acceptState({ online: true, width: frame.width, height: frame.height, changedAt: frame.capturedAt });
    }
    for (const wake of [...this.snapshotWaiters]) wake();
    const t = this.now();
    for (const sub of [...this.subscribers]) {
      // Due within half a period: source and subscriber ticks jitter against each other.
      if (t + sub.period / 2 >= sub.nextDue && frame.sequence !== sub.lastSequence) this.deliver(sub, frame, t);
    }
  }

  private acceptState(state: SignalState): void {
    const before = this.state;
    const changed =
      before.online !== state.online ||
      before.reason !== state.reason ||
      (state.width !== undefined && state.width !== before.width) ||
      (state.height !== undefined && state.height !== before.height);
    if (!changed) return;
    this.state = {
      online: state.online,
      ...(state.online || state.reason === undefined ? {} : { reason: state.reason }),
      width: state.width ?? before.width,
      height: state.height ?? before.height,
      changedAt: state.changedAt,
    };
    if (!state.online) this.setCurrent(undefined);
    if (before.online !== state.online || before.reason !== state.reason) {
      this.log.info(state.online ? 'signal online' : 'signal offline', {
        reason: state.reason,
        width: this.state.width,
        height: this.state.height,
      });
    }
  }

  private offlineFrame(): Frame {
    const width = this.state.width ?? 1024;
    const height = this.state.height ?? 768;
    // Online but no frame converted yet (just started): still a placeholder, never an error.
    const reason: OfflineReason = this.state.online ? 'starting' : (this.state.reason ?? 'no-signal');
    const p = this.placeholder;
    if (!p || p.width !== width || p.height !== height || p.reason !== reason) {
      const canvas = renderNoSignal(width, height, reason);
      this.placeholder = {
        width,
        height,
        rgb: canvas.rgb,
        sequence: this.placeholderSequence++,
        capturedAt: this.now(),
        online: false,
        reason,
      };
    }
    return this.placeholder!;
  }

  private deliver(sub: Subscriber, frame: Frame, t: number): void {
    if (sub.closed) return;
    sub.delivered++;
    sub.lastSequence = frame.online ? frame.sequence : -1;
    // Next slot one period on; if we fell behind by more than a period, restart the grid at now.
    sub.nextDue = Math.max(sub.nextDue + sub.period, t + sub.period / 2);
    if (sub.timer) clearTimeout(sub.timer);
    // Fallback: offline, the placeholder goes out on the grid; online, only when the source has
    // missed a whole slot (waiting less would race the next real frame and send a stale one).
    const fallbackAt = this.state.online ? sub.nextDue + sub.period : sub.nextDue;
    sub.timer = setTimeout(() => this.fallback(sub), Math.max(0, fallbackAt - t));
    try {
      sub.listener(frame, t);
    } catch (e) {
      this.log.warn('frame subscriber failed; dropping it', { error: (e as Error).message });
      this.unsubscribe(sub);
    }
  }

  /** Nothing new arrived in time: resend the latest (or the placeholder) to keep the stream alive. */
  private fallback(sub: Subscriber): void {
    sub.timer = undefined;
    if (sub.closed) return;
    this.deliver(sub, this.latest(), this.now());
  }
}
