/**
 * The ServiceManager contract (agent/handoff/service-manager.ts): what the lease relies on from
 * systemd. Run against the simulator's service manager and against SystemctlServiceManager driving a
 * stand-in `systemctl` (test/unit/handoff/service-manager.test.ts): both must behave the same for
 * the lease to be trusted.
 */
import type { Test } from 'tap';
import { PROTECTED_UNITS, type ServiceManager } from '../../agent/handoff/service-manager';
import { rejectsWith } from '../unit/handoff/fixtures/assert';

interface ServiceManagerSubject {
  manager: ServiceManager;
  state(): Record<string, boolean>;
  failNext(verb: 'start' | 'stop', unit: string): void;
  /** Units a `stop` was actually issued for (past validation). */
  stopsIssued(): string[];
  cleanup(): void;
}

/** A subject whose units exist with the given active states. */
export type ServiceManagerFactory = (units: Record<string, boolean>) => ServiceManagerSubject;

const UNITS = {
  kvmd: true,
  'kvmd-otg': true,
  'kvmd-janus': false,
  'kvmd-nginx': true,
  'kvmd-tc358743': true,
  'kvmd-watchdog': true,
};

function sorted(o: Record<string, boolean>) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export function serviceManagerContract(t: Test, make: ServiceManagerFactory): void {
  t.test('isActive reflects the current state', async (t) => {
    const s = make(UNITS);
    t.teardown(s.cleanup);
    t.equal(await s.manager.isActive('kvmd'), true);
    t.equal(await s.manager.isActive('kvmd-janus'), false);
    t.equal(await s.manager.isActive('kvmd-vnc'), false, 'an unknown unit is not active');
    t.equal(await s.manager.isActive('kvmd.service'), true, '.service suffix names the same unit');
  });

  t.test('stop and start change the state; repeating them changes nothing', async (t) => {
    const s = make(UNITS);
    t.teardown(s.cleanup);
    await s.manager.stop('kvmd');
    await s.manager.stop('kvmd');
    t.equal(await s.manager.isActive('kvmd'), false);
    await s.manager.start('kvmd-janus');
    await s.manager.start('kvmd-janus');
    t.same(sorted(s.state()), sorted({ ...UNITS, kvmd: false, 'kvmd-janus': true }));
    await s.manager.start('kvmd');
    t.equal(await s.manager.isActive('kvmd'), true);
  });

  t.test('an unknown unit cannot be started or stopped', async (t) => {
    const s = make(UNITS);
    t.teardown(s.cleanup);
    await rejectsWith(t, s.manager.start('no-such-thing'), 'not-found');
    await rejectsWith(t, s.manager.stop('no-such-thing'), 'not-found');
  });

  t.test('a failed job is io, names the unit, and leaves the state alone', async (t) => {
    const s = make(UNITS);
    t.teardown(s.cleanup);
    s.failNext('stop', 'kvmd');
    await rejectsWith(t, s.manager.stop('kvmd'), 'io', /kvmd/);
    t.equal(await s.manager.isActive('kvmd'), true);
    s.failNext('start', 'kvmd-janus');
    await rejectsWith(t, s.manager.start('kvmd-janus'), 'io', /kvmd-janus/);
    t.equal(await s.manager.isActive('kvmd-janus'), false);
    await s.manager.start('kvmd-janus');
    t.equal(await s.manager.isActive('kvmd-janus'), true, 'the failure was for one call only');
  });

  t.test('protected units are never stopped', async (t) => {
    const s = make(UNITS);
    t.teardown(s.cleanup);
    t.same([...PROTECTED_UNITS].sort(), ['kvmd-nginx', 'kvmd-tc358743', 'kvmd-watchdog']);
    for (const unit of PROTECTED_UNITS) {
      await rejectsWith(t, s.manager.stop(unit), 'forbidden', new RegExp(unit));
      await rejectsWith(t, s.manager.stop(`${unit}.service`), 'forbidden');
    }
    t.same(s.stopsIssued(), [], 'no stop reached the service manager');
    t.same(sorted(s.state()), sorted(UNITS));
  });

  t.test('names that could be options or paths are refused before anything runs', async (t) => {
    const s = make(UNITS);
    t.teardown(s.cleanup);
    for (const bad of ['-kvmd', '--all', 'kvmd otg', '../kvmd', 'kvmd\n', '', 'a/b']) {
      await rejectsWith(t, s.manager.stop(bad), 'bad-argument');
      await rejectsWith(t, s.manager.start(bad), 'bad-argument');
      await rejectsWith(t, s.manager.isActive(bad), 'bad-argument');
    }
    t.same(s.stopsIssued(), []);
    t.same(sorted(s.state()), sorted(UNITS));
  });
}
