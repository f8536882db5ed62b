/**
 * The Agent's start/stop order over stand-in parts: every handle is released in stop(), in
 * reverse, even when a part fails to stop; a failed start releases what it began.
 */
import t from 'tap';
import { Agent, type AgentParts } from '../../../agent/agent';
import { AgentError } from '../../../agent/errors';
import { recordingLogger } from '../../../agent/log';

type Failing = Partial<Record<string, 'start' | 'stop'>>;

function parts(failing: Failing = {}, options: { lease?: boolean } = {}) {
  const events: string[] = [];
  const part = (name: string, verbs: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(verbs).map(([method, verb]) => [
        method,
        async () => {
          events.push(`${verb} ${name}`);
          if (failing[name] === verb) throw new AgentError('io', `${name} ${verb} failed (injected)`);
          return name === 'session' && verb === 'stop' ? { clean: true, leftovers: [] } : undefined;
        },
      ]),
    );
  const logger = recordingLogger('agent');
  const p = {
    lock: part('lock', { acquire: 'start', release: 'stop' }),
    sim: null,
    services: {},
    session: part('session', { start: 'start', stop: 'stop' }),
    hid: part('hid', { start: 'start', stop: 'stop' }),
    hub: part('hub', { start: 'start', stop: 'stop' }),
    video: { step: part('video', { take: 'start', give: 'stop' }), status: () => ({ ustreamer: '' }) },
    lease: options.lease ? part('lease', { recover: 'start', stop: 'stop' }) : null,
    control: { ...part('control', { start: 'start', stop: 'stop' }), limitConnections: () => undefined },
    http: { ...part('http', { start: 'start', stop: 'stop' }), limitConnections: () => undefined, tcpPort: null },
    notify: { ...part('notify', { start: 'start', stop: 'stop' }), ready: () => events.push('ready'), stopping: () => events.push('stopping') },
    status: async () => ({}),
    listeners: 1,
    logger,
  } as unknown as AgentParts;
  return { agent: new Agent(p), events, logger };
}

t.test('start opens in order and is READY last; stop releases in reverse, the lock last', async (t) => {
  const { agent, events } = parts();
  await agent.start();
  t.same(events, ['start lock', 'start session', 'start video', 'start hid', 'start hub', 'start http', 'start control', 'start notify', 'ready']);
  events.length = 0;
  await agent.stop();
  t.same(events, ['stopping', 'stop control', 'stop http', 'stop hub', 'stop hid', 'stop video', 'stop session', 'stop notify', 'stop lock']);
});

t.test('with hand-off the lease recovers at start and gives the devices back at stop', async (t) => {
  const { agent, events } = parts({}, { lease: true });
  await agent.start();
  t.same(events.slice(0, 3), ['start lock', 'start lease', 'start hid'], 'nothing taken at start');
  events.length = 0;
  await agent.stop();
  t.same(events, ['stopping', 'stop control', 'stop http', 'stop hub', 'stop hid', 'stop lease', 'stop session', 'stop notify', 'stop lock']);
});

t.test('a part that fails to stop does not keep the others open', async (t) => {
  const { agent, events, logger } = parts({ control: 'stop', hid: 'stop' });
  await agent.start();
  events.length = 0;
  await t.rejects(agent.stop(), { code: 'io', message: /control stop failed/ }, 'the first failure is thrown');
  t.same(events, ['stopping', 'stop control', 'stop http', 'stop hub', 'stop hid', 'stop video', 'stop session', 'stop notify', 'stop lock'], 'every part was stopped, the lock released');
  t.same(
    logger.records.filter((r) => r.level === 'error').map((r) => r.message),
    ['stopping the control socket failed', 'stopping HID failed'],
  );
});

t.test('a failed start releases what it began and throws', async (t) => {
  const { agent, events } = parts({ http: 'start' });
  await t.rejects(agent.start(), { name: 'AgentError', message: /http start failed/ });
  t.ok(events.includes('stop lock'), 'the lock is released');
  t.ok(events.includes('stop session'), 'the gadget is torn down');
  t.notOk(events.includes('ready'), 'never READY');
});
