/**
 * RGB24 frame buffers that are reused once nobody reads them any more, so a capture that converts
 * two 2.4 MB frames a second does not allocate, fault in and garbage-collect two new buffers a
 * second (bench/README-video.md: about a third of our CPU per delivered frame before this pool).
 *
 * The ownership rule: the producer holds a pooled buffer while it fills and publishes the frame
 * (`emit` is synchronous); whoever keeps the pixels past that synchronous delivery — the frame hub
 * while the frame is the latest, a socket write until it is flushed, an encoder until it is done —
 * takes a hold (`holdPixels`) and releases it when done. The buffer goes back to the pool when the
 * last hold is released. A hold that is never released only costs the reuse of that buffer (it is
 * then garbage-collected like any other), never a frame overwritten while someone reads it.
 */
import { AgentError } from '../errors';
import type { Frame } from './frame';

export type Release = () => void;

const noop: Release = () => undefined;

/** A hold on a frame's pixels; a no-op for frames that are not pooled (placeholders, MJPEG). */
export function holdPixels(frame: Frame): Release {
  return frame.hold?.() ?? noop;
}

export interface PooledBuffer {
  readonly buffer: Buffer;
  /** another hold; the returned function releases it (calling it twice releases once) */
  hold(): Release;
}

export class RgbBufferPool {
  private readonly idle: Buffer[] = [];
  /** which frame (take) each buffer serves now: a hold through an older take comes too late */
  private readonly owner = new WeakMap<Buffer, object>();

  /** `keep`: idle buffers kept for reuse (the rest are left to the garbage collector). */
  constructor(private readonly keep = 3) {}

  /** A buffer of exactly `size` bytes, held once by the caller (the returned release ends that hold). */
  take(size: number): { pooled: PooledBuffer; release: Release } {
    const index = this.idle.findIndex((b) => b.length === size);
    const buffer = index >= 0 ? this.idle.splice(index, 1)[0]! : Buffer.allocUnsafe(size);
    const lease = {};
    this.owner.set(buffer, lease);
    let holds = 0;
    const hold = (): Release => {
      // A hold after the last release is fine while the pixels are unchanged (the buffer waits
      // idle or was dropped), not once another frame was converted into it.
      if (this.owner.get(buffer) !== lease) throw new AgentError('internal', 'frame pixels held after their buffer went to another frame');
      if (holds === 0) this.leaveIdle(buffer);
      holds++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (--holds === 0 && this.idle.length < this.keep) this.idle.push(buffer);
      };
    };
    return { pooled: { buffer, hold }, release: hold() };
  }

  /** Idle buffers (tests, status). */
  get idleCount(): number {
    return this.idle.length;
  }

  private leaveIdle(buffer: Buffer): void {
    const index = this.idle.indexOf(buffer);
    if (index >= 0) this.idle.splice(index, 1);
  }
}
