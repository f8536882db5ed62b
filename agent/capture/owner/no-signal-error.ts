/** What `apply()` (v4l2-ctl --set-dv-bt-timings query) throws when the source sends nothing usable. */
import { AgentError } from '../../errors';
import type { SignalState } from '../capture-device';

/** Carries the signal state (`no-signal`, `no-sync`, `out-of-range`, `no-device`); code `io`. */
export class NoSignalError extends AgentError {
  constructor(readonly state: Exclude<SignalState, 'online'>) {
    super('io', `${state}: the source sends no usable signal, nothing to apply`);
  }
}
