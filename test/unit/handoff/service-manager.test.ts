/**
 * The ServiceManager contract (test/contract/service-manager.ts), run against the simulator's
 * service manager and against SystemctlServiceManager driving a stand-in `systemctl`; then what only
 * the systemctl adapter does (argument arrays, PATH lookup, timeout, missing program).
 */
import t from 'tap';
import { silentLogger } from '../../../agent/log';
import { SystemctlServiceManager } from '../../../agent/handoff/systemctl';
import { SimServiceManager } from '../../../agent/sim/service-manager';
import { serviceManagerContract, type ServiceManagerFactory } from '../../contract/service-manager';
import { createStandIn } from '../../doubles/systemctl-standin';
import { rejectsWith } from './fixtures/assert';

const sim: ServiceManagerFactory = (units) => {
  const m = new SimServiceManager(units);
  return {
    manager: m,
    state: () => m.snapshot(),
    failNext: (verb, unit) => m.failOn(verb, unit),
    stopsIssued: () => m.calls.filter((c) => c.verb === 'stop').map((c) => c.unit),
    cleanup: () => undefined,
  };
};

const systemctl: ServiceManagerFactory = (units) => {
  const s = createStandIn(units);
  return {
    manager: new SystemctlServiceManager({ logger: silentLogger, command: s.command, jobTimeoutMs: 10_000 }),
    state: () => s.state(),
    failNext: (verb, unit) => s.failNext(verb, unit === 'kvmd.service' ? 'kvmd' : unit),
    stopsIssued: () => s.argv().filter((a) => a[1] === 'stop').map((a) => a[a.length - 1]!),
    cleanup: () => s.cleanup(),
  };
};

t.test('ServiceManager contract: simulator', async (t) => serviceManagerContract(t, sim));
t.test('ServiceManager contract: systemctl stand-in', async (t) => serviceManagerContract(t, systemctl));

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
