/**
 * The simulated PiKVM's systemd: keeps each unit's active state in memory, records every call, and
 * can be told to fail a given call. `serve --simulate` hands kvmd's units over with it; tests use
 * the record and the injected failures. It follows the contract of `handoff/service-manager.ts`
 * exactly (unknown units are `not-found`, protected units are never stopped, start/stop are
 * idempotent; test/contract/service-manager.ts runs against it and against `systemctl`), so what
 * holds in the simulator holds on a PiKVM too.
 */
import { AgentError } from '../errors';
import { assertStoppable, type ServiceManager, unitBaseName, validateUnitName } from '../handoff/service-manager';

/** The kvmd units a stock PiKVM runs at rest, as the simulator starts them. */
const SIMULATED_UNITS: Readonly<Record<string, boolean>> = Object.freeze({
  kvmd: true,
  'kvmd-otg': true,
  'kvmd-nginx': true,
  'kvmd-tc358743': true,
  'kvmd-watchdog': true,
  'kvmd-janus': false,
  'kvmd-vnc': false,
});

export type ServiceVerb = 'isActive' | 'start' | 'stop';

export interface ServiceCall {
  verb: ServiceVerb;
  unit: string;
}

interface Failure {
  verb: ServiceVerb;
  unit: string;
  remaining: number;
  error: () => Error;
}

export class SimServiceManager implements ServiceManager {
  /** Every call that passed validation, in order (including ones that were made to fail). */
  readonly calls: ServiceCall[] = [];
  private readonly active = new Map<string, boolean>();
  private readonly failures: Failure[] = [];

  /** `units`: the units that exist and whether each is active now. */
  constructor(units: Readonly<Record<string, boolean>> = SIMULATED_UNITS) {
    for (const [unit, isActive] of Object.entries(units)) this.active.set(unitBaseName(unit), isActive);
  }

  /**
   * Make the next `times` calls of `verb` on `unit` fail (default: an `io` AgentError, as systemctl
   * reports a failed job). The state of the unit does not change on a failed call.
   */
  failOn(verb: ServiceVerb, unit: string, options: { times?: number; error?: () => Error } = {}): void {
    this.failures.push({
      verb,
      unit: unitBaseName(unit),
      remaining: options.times ?? 1,
      error: options.error ?? (() => new AgentError('io', `${verb} ${unit} failed (injected)`)),
    });
  }

  /** Current state of every unit, for assertions. */
  snapshot(): Record<string, boolean> {
    return Object.fromEntries([...this.active.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Only the state-changing calls, as `verb unit` strings (handy for order assertions). */
  actions(): string[] {
    return this.calls.filter((c) => c.verb !== 'isActive').map((c) => `${c.verb} ${c.unit}`);
  }

  async isActive(unit: string): Promise<boolean> {
    validateUnitName(unit);
    const name = this.record('isActive', unit);
    return this.active.get(name) === true;
  }

  async start(unit: string): Promise<void> {
    validateUnitName(unit);
    const name = this.record('start', unit);
    this.known(name);
    this.active.set(name, true);
  }

  async stop(unit: string): Promise<void> {
    assertStoppable(unit);
    const name = this.record('stop', unit);
    this.known(name);
    this.active.set(name, false);
  }

  private record(verb: ServiceVerb, unit: string): string {
    const name = unitBaseName(unit);
    this.calls.push({ verb, unit: name });
    const failure = this.failures.find((f) => f.verb === verb && f.unit === name && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      throw failure.error();
    }
    return name;
  }

  private known(name: string): void {
    if (!this.active.has(name)) throw new AgentError('not-found', `unit ${name}.service not found`);
  }
}
