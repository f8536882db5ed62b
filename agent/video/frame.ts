/**
 * The unit the video pipeline passes around: one picture in packed RGB24 plus what we know about
 * the signal it came from. Sources produce frames, the frame hub keeps the latest one, encoders
 * (PPM, NUT, PNG/JPEG) and the HTTP layer consume them.
 */
import type { EventEmitter } from 'node:events';

/**
 * Why there is no picture, in the vocabulary of ustreamer / the V4L2 binding: `no-device` (capture
 * device absent), `no-signal` (ENOLINK), `no-sync` (ENOLCK), `out-of-range` (ERANGE), `busy`.
 */
export type OfflineReason = 'no-device' | 'no-signal' | 'no-sync' | 'out-of-range' | 'busy' | 'stopped' | (string & {});

export interface Frame {
  width: number;
  height: number;
  /** packed RGB24, exactly `width * height * 3` bytes; never mutated while anyone holds the frame */
  rgb: Buffer;
  /** source sequence number (counts source frames, so skipped conversions show as gaps) */
  sequence: number;
  /** when the source captured it, ms on the hub clock */
  capturedAt: number;
  /** false for a placeholder frame served while there is no signal */
  online: boolean;
  reason?: OfflineReason;
  /**
   * Present when `rgb` is a pooled buffer that will be reused: whoever keeps the pixels past the
   * synchronous delivery takes a hold and releases it when done (agent/video/rgb-pool.ts).
   */
  hold?: () => () => void;
}

export interface SignalState {
  online: boolean;
  reason?: OfflineReason;
  /** the current (online) or last known mode */
  width?: number;
  height?: number;
  /** ms on the hub clock of the last change of `online`/mode */
  changedAt: number;
}

export interface FrameSourceEvents {
  frame: [Frame];
  state: [SignalState];
}

/**
 * Anything that produces frames: the V4L2 capture, ustreamer snapshots, the synthetic pattern (tests), the
 * simulated PiKVM's HDMI output. `setDemand(fps)` tells the source the highest rate anyone wants;
 * a source converts at most that many frames per second (0 = nobody is watching).
 */
export interface FrameSource extends Pick<EventEmitter<FrameSourceEvents>, 'on' | 'off'> {
  start(): Promise<void>;
  stop(): Promise<void>;
  setDemand(fps: number): void;
}

export function frameByteLength(width: number, height: number): number {
  return width * height * 3;
}

/** A signal report from a source: what changed, with the mode when known. */
export interface SignalReport {
  online: boolean;
  reason?: OfflineReason;
  width?: number;
  height?: number;
}

/**
 * The signal state after a report, or null when nothing changed (a source emits `state` only on a
 * change). An unknown size (absent or 0) keeps the last known mode.
 */
export function nextSignalState(before: SignalState, next: SignalReport, now: number): SignalState | null {
  const width = next.width || before.width;
  const height = next.height || before.height;
  if (before.online === next.online && before.reason === next.reason && before.width === width && before.height === height) return null;
  return {
    online: next.online,
    ...(next.online || next.reason === undefined ? {} : { reason: next.reason }),
    ...(width === undefined ? {} : { width }),
    ...(height === undefined ? {} : { height }),
    changedAt: now,
  };
}
