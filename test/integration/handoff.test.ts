/**
 * The kvmd hand-off in the whole simulated daemon: commands take the devices from kvmd's units,
 * `release` gives them back, a failure half-way rolls back, idle release, and a restart after a
 * crash mid-lease gives the devices back before anything else.
 */
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SimServiceManager } from '../../agent/sim/service-manager';
import { loadConfig } from '../../agent/config';
import { recordingLogger } from '../../agent/log';
import { createAgent } from '../../agent/main';
import { LineClient } from '../helpers/socket-client';
import { startSimAgent } from '../helpers/sim-agent';

const KVMD_RUNNING = { 'kvmd': true, 'kvmd-otg': true, 'kvmd-janus': false, 'kvmd-nginx': true, 'kvmd-tc358743': true, 'kvmd-vnc': false, 'kvmd-watchdog': true };

t.test('idle holds nothing; the first input takes the devices; release gives them back in reverse', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const services = agent.services as SimServiceManager;
  t.same(agent.sim!.kernel.gadgets(), [], 'idle: no gadget of ours');
  t.same(services.snapshot(), KVMD_RUNNING);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.equal(await c.send('a'), 'ok');
  t.same(services.actions(), ['stop kvmd', 'stop kvmd-otg']);
  t.same(agent.sim!.kernel.gadgets().map((g) => g.name), ['pikvm-agent']);
  t.match(await c.send('status'), /"lease":\{"state":"held","holder":"control"/);
  t.equal(await c.send('release'), 'ok');
  t.same(services.actions(), ['stop kvmd', 'stop kvmd-otg', 'start kvmd-otg', 'start kvmd']);
  t.same(agent.sim!.kernel.gadgets(), [], 'our gadget is gone');
  t.same(services.snapshot(), KVMD_RUNNING, 'kvmd runs again; protected units never touched');
  t.match(await c.send('acquire openqa-42'), /^ok \{"state":"held","holder":"openqa-42"/, 'explicit acquire');
  t.same(agent.sim!.kernel.gadgets().map((g) => g.name), ['pikvm-agent']);
});

t.test('a failure while taking over rolls back so kvmd works again', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const services = agent.services as SimServiceManager;
  services.failOn('stop', 'kvmd-otg');
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.match(await c.send('a'), /^error: /);
  t.same(services.snapshot(), KVMD_RUNNING, 'kvmd was started again');
  t.same(agent.sim!.kernel.gadgets(), []);
  t.equal(await c.send('a'), 'ok', 'the next command succeeds');
});

t.test('idle release after handoff.idle_release_s with no client', async (t) => {
  const { socketPath, agent } = await startSimAgent(t, ['handoff.idle_release_s=1']);
  const services = agent.services as SimServiceManager;
  const c = await LineClient.connect(socketPath);
  t.equal(await c.send('a'), 'ok');
  c.close();
  for (let i = 0; i < 60 && agent.lease!.status().state !== 'idle'; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(agent.lease!.status().state, 'idle');
  t.same(services.snapshot(), KVMD_RUNNING);
});

t.test('a restart after a crash mid-lease gives the devices back first', async (t) => {
  const first = await startSimAgent(t);
  const c = await LineClient.connect(first.socketPath);
  t.equal(await c.send('a'), 'ok');
  c.close();
  const leaseFile = path.join(first.dir, 'run', 'lease.json');
  t.match(JSON.parse(await fs.readFile(leaseFile, 'utf8')), { phase: 'held', holder: 'control' });
  // kill -9: nothing is given back; a new agent starts with the lease file on disk.
  const config = await loadConfig({
    configFile: path.join(first.dir, 'absent.yaml'),
    explicit: false,
    env: {},
    overrides: [`run_dir=${path.join(first.dir, 'run2')}`, 'http.listen=', 'video.source=sim', `control.socket=${path.join(first.dir, 'run2', 'c.sock')}`],
  });
  await fs.mkdir(path.join(first.dir, 'run2'), { recursive: true });
  await fs.copyFile(leaseFile, path.join(first.dir, 'run2', 'lease.json'));
  const second = createAgent(config, { simulate: true }, recordingLogger());
  const services = second.services as SimServiceManager;
  // The crashed run had stopped kvmd and kvmd-otg: the new run's world says so too.
  await services.stop('kvmd');
  await services.stop('kvmd-otg');
  await second.start();
  t.teardown(() => second.stop());
  t.same(services.snapshot(), KVMD_RUNNING, 'kvmd-otg and kvmd were started again');
  t.same(services.actions().slice(-2), ['start kvmd-otg', 'start kvmd']);
  t.equal(second.lease!.status().state, 'idle');
  await t.rejects(fs.access(path.join(first.dir, 'run2', 'lease.json')), 'the lease file is gone');
});

t.test('status: times as ISO wall-clock, the idle countdown in seconds, control clients counted', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.match(await c.send('acquire job-7'), /^ok /);
  const held = JSON.parse((await c.send('status')).replace(/^ok /, ''));
  t.match(held, {
    agent: { since: ISO },
    lease: { state: 'held', holder: 'job-7', since: ISO, idleReleaseAt: null, idleReleaseInS: null, clients: 1 },
    control: { clients: 1 },
    video: { signal: { online: true, changedAt: ISO, text: 'online, 1024x768' } },
  });
  t.ok(Math.abs(Date.parse(held.video.signal.changedAt) - Date.now()) < 3_600_000, `changedAt is wall-clock time (${held.video.signal.changedAt})`);
  c.close();
  for (let i = 0; i < 50 && agent.lease!.status().clients > 0; i++) await new Promise((r) => setTimeout(r, 20));
  const idle = (await agent.status()) as { lease: { idleReleaseAt: string; idleReleaseInS: number }; control: { clients: number } };
  t.equal(idle.control.clients, 0);
  t.match(idle.lease, { idleReleaseAt: ISO, idleReleaseInS: Number }, 'the countdown runs once the last client left');
  t.ok(idle.lease.idleReleaseInS > 0 && idle.lease.idleReleaseInS <= 600, `whole seconds up to handoff.idle_release_s (${idle.lease.idleReleaseInS})`);
  const left = (Date.parse(idle.lease.idleReleaseAt) - Date.now()) / 1000;
  t.ok(left > 0 && left <= 600, `idleReleaseAt is the wall-clock time of the release, ahead by at most 600 s (${left} s)`);
});
