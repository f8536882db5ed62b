/**
 * The signal state as people and scripts read it (`status`, `/api/signal`, the status page): the
 * last change as a wall-clock ISO time, like every other time the agent reports, and a sentence.
 * The hub itself keeps monotonic ms, immune to clock steps.
 */
import type { SignalState } from './frame';

export interface SignalReport extends Omit<SignalState, 'changedAt'> {
  /** ISO wall-clock time of the last change of `online`/mode */
  changedAt: string;
  /** e.g. "online, 1024x768" or "offline (no-signal), last mode 1024x768" */
  text: string;
}

function describeSignal(s: SignalState): string {
  const mode = s.width && s.height ? `${s.width}x${s.height}` : 'unknown mode';
  return s.online ? `online, ${mode}` : `offline (${s.reason ?? 'no-signal'}), last mode ${mode}`;
}

/** `monotonicNow` is the hub clock's present, `wallNow` the epoch ms at the same instant. */
export function signalReport(s: SignalState, monotonicNow: number, wallNow: number = Date.now()): SignalReport {
  const changedAt = new Date(wallNow - (monotonicNow - s.changedAt)).toISOString();
  return { ...s, changedAt, text: describeSignal(s) };
}
