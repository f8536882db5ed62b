/**
 * What the device-backed frame sources (V4L2 capture, ustreamer snapshots) share: the signal state
 * they report (emitted only on a change, logged once per change of online/reason, the ustreamer
 * way) and an interruptible sleep for their loops, which a change of demand or a stop cuts short.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log';
import { silentLogger } from '../../log';
import { type FrameSource, type FrameSourceEvents, nextSignalState, type SignalReport, type SignalState } from '../frame';

export interface SignalledSourceOptions {
  logger?: Logger;
  /** ms clock of the frame hub */
  now?: () => number;
}

export abstract class SignalledSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  protected readonly log: Logger;
  protected readonly now: () => number;
  /** between start() and stop() */
  protected running = false;
  protected signal: SignalState;
  private wakeSleeper: (() => void) | undefined;

  /** `name` starts the log lines: `<name> online`, `<name> offline`. */
  constructor(
    private readonly name: string,
    options: SignalledSourceOptions,
  ) {
    super();
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? (() => performance.now());
    this.signal = { online: false, reason: 'no-device', changedAt: this.now() };
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract setDemand(fps: number): void;

  state(): SignalState {
    return { ...this.signal };
  }

  /** True when the loop should end: sleeps then return at once. */
  protected get halted(): boolean {
    return !this.running;
  }

  /** Waits `ms`, or less when `wake()` is called; not at all once halted. */
  protected sleep(ms: number): Promise<void> {
    if (this.halted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  protected wake(): void {
    this.wakeSleeper?.();
  }

  protected setSignal(next: SignalReport): void {
    const before = this.signal;
    const state = nextSignalState(before, next, this.now());
    if (state === null) return;
    this.signal = state;
    if (before.online !== next.online || before.reason !== next.reason) {
      this.log.info(`${this.name} ${next.online ? 'online' : 'offline'}`, { reason: next.reason, width: state.width, height: state.height });
    }
    if (this.running) this.emit('state', { ...this.signal });
  }
}
