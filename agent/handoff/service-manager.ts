/**
 * Driving PiKVM's systemd units. One narrow interface with a real implementation (`systemctl`, in
 * `systemctl.ts`) and the simulator's (`agent/sim/service-manager.ts`); both pass the same contract
 * suite (test/contract/service-manager.ts).
 *
 * Contract, for every implementation:
 * - unit names are validated (`bad-argument`) before anything runs: letters, digits, `:_.@-`, never a
 *   leading `-` (so a name can never be read as a systemctl option);
 * - `stop` of a protected unit is refused with `forbidden` and nothing is run;
 * - `start` of a running unit and `stop` of a stopped unit succeed and change nothing;
 * - a unit systemd does not know is `not-found`; a failed start/stop is `io` naming the unit;
 * - a call that does not finish in its bound is `timeout`.
 */
import { AgentError } from '../errors';

export interface ServiceManager {
  /** True when the unit is active (running, or a oneshot that remained after exit). */
  isActive(unit: string): Promise<boolean>;
  /** Start the unit and wait until the start job is done. */
  start(unit: string): Promise<void>;
  /** Stop the unit and wait until the stop job is done. */
  stop(unit: string): Promise<void>;
}

/**
 * Units the agent must never stop (reference/pikvm.md):
 * - `kvmd-tc358743` loads the EDID at boot and its stop action clears it (the HDMI source then sees
 *   no monitor);
 * - `kvmd-nginx` serves the web UI and our own nginx add-on (/ks.cfg must stay reachable);
 * - `kvmd-watchdog` feeds the RTC watchdog; stopped, the alarm stays armed and the Pi reboots.
 */
export const PROTECTED_UNITS: readonly string[] = Object.freeze(['kvmd-tc358743', 'kvmd-nginx', 'kvmd-watchdog']);

const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,255}$/;

/** `kvmd.service` and `kvmd` name the same unit; protection is decided on the bare name. */
export function unitBaseName(unit: string): string {
  return unit.endsWith('.service') ? unit.slice(0, -'.service'.length) : unit;
}

/** Throws `bad-argument` unless `unit` is a plain unit name. */
export function validateUnitName(unit: string): void {
  if (typeof unit !== 'string' || !UNIT_NAME.test(unit)) {
    throw new AgentError('bad-argument', `not a unit name: ${JSON.stringify(unit)}`);
  }
}

export function isProtectedUnit(unit: string): boolean {
  return PROTECTED_UNITS.includes(unitBaseName(unit));
}

/** Throws `forbidden` for units the agent must leave alone. */
export function assertStoppable(unit: string): void {
  validateUnitName(unit);
  if (isProtectedUnit(unit)) {
    throw new AgentError('forbidden', `refusing to stop ${unit}: PiKVM needs it running (protected unit)`);
  }
}
