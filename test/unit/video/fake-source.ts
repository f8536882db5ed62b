/**
 * A frame source driven by the test: frames and state changes are emitted by hand, demand
 * changes are recorded.
 */
import { EventEmitter } from 'node:events';
import type { Frame, FrameSource, FrameSourceEvents, SignalState } from '../../../agent/video/frame';

export class ManualSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  demands: number[] = [];
  started = 0;
  stopped = 0;
  private sequence = 0;

  async start(): Promise<void> {
    this.started++;
  }

  async stop(): Promise<void> {
    this.stopped++;
  }

  setDemand(fps: number): void {
    this.demands.push(fps);
  }

  get demand(): number {
    return this.demands.at(-1) ?? 0;
  }

  frame(capturedAt: number, width = 4, height = 2, fill = this.sequence & 0xff): Frame {
    const f: Frame = { width, height, rgb: Buffer.alloc(width * height * 3, fill), sequence: this.sequence++, capturedAt, online: true };
    this.emit('frame', f);
    return f;
  }

  state(s: Omit<SignalState, 'changedAt'>, changedAt = 0): void {
    this.emit('state', { ...s, changedAt });
  }
}
