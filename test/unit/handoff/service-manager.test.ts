/**
 * One contract suite, run against the recording fake and against SystemctlServiceManager driving a
 * stand-in `systemctl` script: both must behave the same for the lease to be trusted.
 */
import t from 'tap';
import { silentLogger } from '../../../agent/log';
import { RecordingServiceManager } from '../../../agent/handoff/recording-service-manager';
import { PROTECTED_UNITS, type ServiceManager } from '../../../agent/handoff/service-manager';
import { SystemctlServiceManager } from '../../../agent/handoff/systemctl';
import { rejectsWith } from './fixtures/assert';
import { createStandIn } from './fixtures/systemctl-standin';

interface Subject {
  manager: ServiceManager;
  state(): Record<string, boolean>;
  failNext(verb: 'start' | 'stop', unit: string): void;
  /** Units a `stop` was actually issued for (past validation). */
  stopsIssued(): string[];
  cleanup(): void;
}

type Factory = (units: Record<string, boolean>) => Subject;

const UNITS = {
  kvmd: true,
  'kvmd-otg': true,
  'kvmd-janus': false,
  'kvmd-nginx': true,
  'kvmd-tc358743': true,
  'kvmd-watchdog': true,
};

const fake: Factory = (units) => {
  const m = new RecordingServiceManager(units);
  return {
    manager: m,
    state: () => m.snapshot(),
    failNext: (verb, unit) => m.failOn(verb, unit),
    stopsIssued: () => m.calls.filter((c) => c.verb === 'stop').map((c) => c.unit),
    cleanup: () => undefined,
  };
};

const systemctl: Factory = (units) => {
  const s = createStandIn(units);
  return {
    manager: new SystemctlServiceManager({ logger: silentLogger, command: s.command, jobTimeoutMs: 10_000 }),
    state: () => s.state(),
    failNext: (verb, unit) => s.failNext(verb, unit === 'kvmd.service' ? 'kvmd' : unit),
    stopsIssued: () => s.argv().filter((a) => a[1] === 'stop').map((a) => a[a.length - 1]!),
    cleanup: () => s.cleanup(),
  };
};

function sorted(o: Record<string, boolean>) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

for (const [label, make] of [
  ['recording fake', fake],
  ['systemctl stand-in', systemctl],
] as const) {
  t.test(`ServiceManager contract: ${label}`, async (t) => {
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
  });
}

t.test('systemctl: argument arrays, PATH lookup, timeout, missing program', async (t) => {
  const s = createStandIn({ kvmd: true, 'kvmd@x:1': false });
  t.teardown(s.cleanup);

  t.test('arguments reach systemctl verbatim, unit after --', async (t) => {
    const m = new SystemctlServiceManager({ logger: silentLogger, command: s.command });
    await m.start('kvmd@x:1');
    await m.isActive('kvmd');
    const argv = s.argv();
    t.same(argv.slice(-2), [
      ['--no-ask-password', 'start', '--', 'kvmd@x:1'],
      ['--no-ask-password', 'is-active', '--quiet', '--', 'kvmd'],
    ]);
    t.equal(s.state()['kvmd@x:1'], true);
  });

  t.test('the bare name is found on PATH', async (t) => {
    const savedPath = process.env.PATH;
    process.env.PATH = `${s.binDir}:${savedPath ?? ''}`;
    t.teardown(() => {
      process.env.PATH = savedPath;
    });
    const m = new SystemctlServiceManager({ logger: silentLogger });
    await m.stop('kvmd');
    t.equal(s.state().kvmd, false);
  });

  t.test('a job that never ends is a timeout', async (t) => {
    s.hang('start', 'kvmd');
    const m = new SystemctlServiceManager({ logger: silentLogger, command: s.command, jobTimeoutMs: 300 });
    await rejectsWith(t, m.start('kvmd'), 'timeout', /start -- kvmd/);
  });

  t.test('no systemctl at all is not-supported', async (t) => {
    const m = new SystemctlServiceManager({ logger: silentLogger, command: `${s.binDir}/absent` });
    await rejectsWith(t, m.isActive('kvmd'), 'not-supported', /not found/);
  });
});
