/**
 * The lease on PiKVM's devices: idle (kvmd serves humans) → acquire → held (the agent owns the
 * gadget and the capture device) → release → idle.
 *
 * - acquire: explicit (`acquire(holder)`, refused with `busy` while another holder has it) or
 *   implicit by the first command that needs a device (`ensure(holder)`, which joins a held lease).
 *   Stops the units of `takeover-plan.ts`, then runs the take-over steps in order.
 * - release: explicit, on `stop()`, or after `idleReleaseMs` with no client attached and no
 *   `touch()`; gives the steps back in reverse, then starts the stopped units in reverse.
 * - a failure at any point of an acquire rolls back everything begun so far, in reverse, so kvmd works
 *   again, and reports `busy` or `io` naming the step that failed.
 * - every change is written to the lease file first (`lease-store.ts`); `recover()` at agent start
 *   gives back whatever a crashed predecessor left taken.
 * - a release that cannot finish keeps what is left in the record (state `releasing`, `lastError`);
 *   calling `release()` again retries only that.
 */
import { AgentError, describe } from '../errors';
import type { Logger } from '../log';
import { type Clock, systemClock, type TimerHandle } from './clock';
import type { LeaseRecord, LeaseStore } from './lease-store';
import type { ServiceManager } from './service-manager';
import { OTG_UNIT, KVMD_UNIT, stepsToTake, type TakeoverStep, unitsToStop } from './takeover-plan';

export type LeaseState = 'idle' | 'acquiring' | 'held' | 'releasing';

export interface LeaseStatus {
  state: LeaseState;
  holder: string | null;
  /** ISO time the lease was acquired (or began to be). */
  since: string | null;
  /** ISO time of the idle release; null when no idle timer runs (not held, or a client is attached). */
  idleReleaseAt: string | null;
  /** Seconds until then, rounded up (a countdown for people); null with `idleReleaseAt`. */
  idleReleaseInS: number | null;
  stoppedServices: string[];
  takenSteps: string[];
  cooperativeVideo: boolean;
  clients: number;
  lastError: string | null;
}

export interface LeaseOptions {
  services: ServiceManager;
  /** In take order; see `TakeoverStep` for what `give()` must tolerate. */
  steps: readonly TakeoverStep[];
  store: LeaseStore;
  logger: Logger;
  /** 0 = never release on idle. */
  idleReleaseMs: number;
  cooperativeVideo: boolean;
  clock?: Clock;
}

const HOLDER = /^[\x21-\x7e]{1,64}$/;

export class Lease {
  private record: LeaseRecord | null = null;
  private clients = 0;
  private idleTimer: TimerHandle | null = null;
  private idleDeadline: number | null = null;
  private lastError: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clock: Clock;

  constructor(private readonly options: LeaseOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Explicit acquire. Joining one's own lease just resets the idle timer. */
  acquire(holder: string): Promise<LeaseStatus> {
    return this.exclusive(() => this.doAcquire(holder, true));
  }

  /** Implicit acquire by a command that needs a device: joins a held lease whoever holds it. */
  ensure(holder: string): Promise<LeaseStatus> {
    if (this.record?.phase === 'held') {
      this.touch();
      return Promise.resolve(this.status());
    }
    return this.exclusive(() => this.doAcquire(holder, false));
  }

  /** Give everything back; a no-op when nothing is held. */
  release(reason = 'requested'): Promise<void> {
    return this.exclusive(async () => {
      if (!this.record) return;
      this.options.logger.info('releasing devices to kvmd', { reason, holder: this.record.holder });
      await this.handBack(this.record, 'hand-back');
    });
  }

  /** At agent start: give back what a previous run left taken. Resolves true if there was a lease. */
  recover(): Promise<boolean> {
    return this.exclusive(async () => {
      let record: LeaseRecord | null;
      try {
        record = await this.options.store.load();
      } catch (e) {
        // Unreadable record: assume the worst case and give back everything a lease can take.
        this.options.logger.warn('lease file unreadable; giving back everything', { error: describe(e) });
        record = this.worstCaseRecord();
      }
      if (!record) return false;
      this.options.logger.warn('a previous run left devices taken; giving them back', {
        holder: record.holder,
        since: new Date(record.since).toISOString(),
        phase: record.phase,
      });
      await this.handBack(record, 'recovery');
      return true;
    });
  }

  /** A command ran: restart the idle countdown. */
  touch(): void {
    if (this.record?.phase === 'held') this.armIdleTimer();
  }

  /** A control client connected; call the returned function when it disconnects. */
  attachClient(): () => void {
    this.clients += 1;
    this.disarmIdleTimer();
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.clients -= 1;
      this.touch();
    };
  }

  status(): LeaseStatus {
    const r = this.record;
    const deadline = this.idleDeadline;
    return {
      state: r ? r.phase : 'idle',
      holder: r ? r.holder : null,
      since: r ? new Date(r.since).toISOString() : null,
      idleReleaseAt: deadline === null ? null : new Date(deadline).toISOString(),
      idleReleaseInS: deadline === null ? null : Math.ceil(Math.max(0, deadline - this.clock.now()) / 1000),
      stoppedServices: r ? [...r.stoppedServices] : [],
      takenSteps: r ? [...r.takenSteps] : [],
      cooperativeVideo: r ? r.cooperativeVideo : this.options.cooperativeVideo,
      clients: this.clients,
      lastError: this.lastError,
    };
  }

  /** Agent shutdown: stop the timer and give devices back (a SIGTERM must not leave kvmd down). */
  async stop(): Promise<void> {
    this.disarmIdleTimer();
    await this.release('agent stopping');
  }

  private async doAcquire(holder: string, explicit: boolean): Promise<LeaseStatus> {
    if (!HOLDER.test(holder)) throw new AgentError('bad-argument', `not a holder name: ${JSON.stringify(holder)}`);
    const current = this.record;
    if (current?.phase === 'held') {
      if (explicit && current.holder !== holder) {
        throw new AgentError('busy', `lease held by ${current.holder} since ${new Date(current.since).toISOString()}`);
      }
      this.touch();
      return this.status();
    }
    if (current) {
      throw new AgentError('busy', `the last hand-back to kvmd is incomplete (${this.lastError ?? current.phase}); release first`);
    }
    const { services, logger, cooperativeVideo } = this.options;
    const record: LeaseRecord = {
      version: 1,
      phase: 'acquiring',
      holder,
      since: this.clock.now(),
      cooperativeVideo,
      stoppedServices: [],
      takenSteps: [],
    };
    this.record = record;
    this.lastError = null;
    logger.info('taking devices from kvmd', { holder, cooperative_video: cooperativeVideo });
    let stepName = 'record lease';
    try {
      await this.options.store.save(record);
      const active: string[] = [];
      for (const unit of unitsToStop(cooperativeVideo)) {
        stepName = `query ${unit}`;
        if (await services.isActive(unit)) active.push(unit);
      }
      for (const unit of active) {
        stepName = `stop ${unit}`;
        record.stoppedServices.push(unit); // before stopping: a half-stopped unit is started again
        await this.options.store.save(record);
        await services.stop(unit);
      }
      for (const step of stepsToTake(this.options.steps, cooperativeVideo)) {
        stepName = step.name;
        record.takenSteps.push(step.name); // before taking: give() cleans up a partial take
        await this.options.store.save(record);
        await step.take();
      }
      stepName = 'record lease';
      record.phase = 'held';
      await this.options.store.save(record);
    } catch (e) {
      logger.error('taking devices failed; rolling back', { step: stepName, error: describe(e) });
      const rollback = await this.undo(record);
      const code = e instanceof AgentError && e.code === 'busy' ? 'busy' : 'io';
      const outcome = rollback.length === 0 ? 'rolled back, kvmd restored' : `rollback incomplete: ${rollback.join('; ')}`;
      throw new AgentError(code, `taking devices failed at "${stepName}": ${describe(e)}; ${outcome}`, e);
    }
    logger.info('devices taken', { holder, stopped: record.stoppedServices.join(','), steps: record.takenSteps.join(',') });
    this.armIdleTimer();
    return this.status();
  }

  private async handBack(record: LeaseRecord, what: string): Promise<void> {
    this.disarmIdleTimer();
    this.record = record;
    record.phase = 'releasing';
    await this.persist(record);
    const errors = await this.undo(record);
    if (errors.length > 0) throw new AgentError('io', `${what} incomplete: ${errors.join('; ')}`);
    this.options.logger.info('devices given back to kvmd', { holder: record.holder });
  }

  /**
   * Give back the steps, then start the units, each in reverse. Every action is tried even if an
   * earlier one failed (kvmd should come back even if our teardown failed). Returns the failures;
   * with none, the record is gone, otherwise it keeps only what is still to do.
   */
  private async undo(record: LeaseRecord): Promise<string[]> {
    const errors: string[] = [];
    record.phase = 'releasing';
    for (const name of [...record.takenSteps].reverse()) {
      try {
        const step = this.options.steps.find((s) => s.name === name);
        if (!step) throw new AgentError('internal', 'no such take-over step in this build');
        await step.give();
        record.takenSteps = record.takenSteps.filter((n) => n !== name);
        await this.persist(record);
      } catch (e) {
        errors.push(`give ${name}: ${describe(e)}`);
      }
    }
    for (const unit of [...record.stoppedServices].reverse()) {
      try {
        await this.options.services.start(unit);
        record.stoppedServices = record.stoppedServices.filter((u) => u !== unit);
        await this.persist(record);
      } catch (e) {
        errors.push(`start ${unit}: ${describe(e)}`);
      }
    }
    if (errors.length === 0) {
      await this.options.store.remove().catch((e) => this.options.logger.warn('cannot remove lease file', { error: describe(e) }));
      this.record = null;
      this.lastError = null;
    } else {
      this.record = record;
      this.lastError = errors.join('; ');
      this.options.logger.error('devices not fully given back', { error: this.lastError });
    }
    return errors;
  }

  /** Persist progress; a failure here must not stop a hand-back, so it is only logged. */
  private async persist(record: LeaseRecord): Promise<void> {
    try {
      await this.options.store.save(record);
    } catch (e) {
      this.options.logger.warn('cannot update lease file', { error: describe(e) });
    }
  }

  private worstCaseRecord(): LeaseRecord {
    return {
      version: 1,
      phase: 'releasing',
      holder: 'unknown (unreadable lease file)',
      since: this.clock.now(),
      cooperativeVideo: false,
      stoppedServices: [KVMD_UNIT, OTG_UNIT],
      takenSteps: this.options.steps.map((s) => s.name),
    };
  }

  private armIdleTimer(): void {
    this.disarmIdleTimer();
    const ms = this.options.idleReleaseMs;
    if (ms <= 0 || this.clients > 0 || this.record?.phase !== 'held') return;
    this.idleDeadline = this.clock.now() + ms;
    this.idleTimer = this.clock.setTimer(() => {
      this.idleTimer = null;
      this.idleDeadline = null;
      this.release(`idle for ${ms} ms`).catch((e) =>
        this.options.logger.error('idle release failed', { error: describe(e) }),
      );
    }, ms);
  }

  private disarmIdleTimer(): void {
    if (this.idleTimer !== null) this.clock.clearTimer(this.idleTimer);
    this.idleTimer = null;
    this.idleDeadline = null;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
