import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { Lease } from '../../../agent/handoff/lease';
import { PROTECTED_UNITS } from '../../../agent/handoff/service-manager';
import { SystemctlServiceManager } from '../../../agent/handoff/systemctl';
import { silentLogger } from '../../../agent/log';
import { createStandIn } from '../../doubles/systemctl-standin';
import { rejectsWith } from './fixtures/assert';
import { PIKVM_UNITS, rig, type Rig, settle, STEP_NAMES } from './fixtures/lease-rig';

const ALL_STEPS = STEP_NAMES.map((s) => s.name);

function assertBackToKvmd(t: tap.Test, r: Rig) {
  t.same(r.fake.snapshot(), r.initialUnits, 'every unit is as it was before the lease');
  t.same([...r.control.taken.entries()].filter(([, taken]) => taken), [], 'nothing is left taken');
  t.notOk(existsSync(r.store.file), 'no lease file is left');
  t.equal(r.lease.status().state, 'idle');
}


function assertProtectedUntouched(t: tap.Test, r: Rig) {
  const touched = r.fake.calls.filter((c) => PROTECTED_UNITS.includes(c.unit));
  t.same(touched, [], 'no call of any kind on kvmd-tc358743, kvmd-nginx, kvmd-watchdog');
}

t.test('acquire stops the front ends, kvmd, kvmd-otg, then takes the steps; release is the exact reverse', async (t) => {
  const r = rig();
  t.teardown(r.cleanup);
  const status = await r.lease.acquire('openqa-job-42');
  t.same(r.events, ['stop kvmd-janus', 'stop kvmd', 'stop kvmd-otg', 'take gadget', 'take capture', 'take edid']);
  t.equal(status.state, 'held');
  t.equal(status.holder, 'openqa-job-42');
  t.equal(status.since, new Date(r.clock.now()).toISOString());
  t.same(status.stoppedServices, ['kvmd-janus', 'kvmd', 'kvmd-otg'], 'kvmd-vnc was not active, so not stopped');
  t.equal(r.fake.snapshot().kvmd, false);
  const onDisk = JSON.parse(readFileSync(r.store.file, 'utf8'));
  t.match(onDisk, { phase: 'held', holder: 'openqa-job-42', stoppedServices: ['kvmd-janus', 'kvmd', 'kvmd-otg'], takenSteps: ALL_STEPS });

  const acquireEvents = r.events.length;
  await r.lease.release();
  t.same(r.events.slice(acquireEvents), [...r.events.slice(0, acquireEvents)].reverse().map((e) =>
    e.replace(/^take /, 'give ').replace(/^stop /, 'start ')));
  assertBackToKvmd(t, r);
  assertProtectedUntouched(t, r);
  await r.lease.release();
  t.equal(r.events.length, acquireEvents * 2, 'a second release does nothing');
});

t.test('an active kvmd-vnc is stopped first and started last', async (t) => {
  const r = rig({ units: { ...PIKVM_UNITS, 'kvmd-vnc': true } });
  t.teardown(r.cleanup);
  await r.lease.acquire('a');
  t.same(r.events.slice(0, 4), ['stop kvmd-vnc', 'stop kvmd-janus', 'stop kvmd', 'stop kvmd-otg']);
  await r.lease.release();
  t.same(r.events.slice(-4), ['start kvmd-otg', 'start kvmd', 'start kvmd-janus', 'start kvmd-vnc']);
  t.equal(r.fake.snapshot()['kvmd-vnc'], true);
});

t.test('cooperative video: kvmd keeps running, only kvmd-otg stops, video steps are skipped', async (t) => {
  const r = rig({ cooperativeVideo: true });
  t.teardown(r.cleanup);
  const status = await r.lease.acquire('a');
  t.same(r.events, ['stop kvmd-otg', 'take gadget']);
  t.same(status.takenSteps, ['gadget']);
  t.equal(status.cooperativeVideo, true);
  t.equal(r.fake.snapshot().kvmd, true, 'kvmd (and its ustreamer) still serves the web UI');
  await r.lease.release();
  t.same(r.events.slice(2), ['give gadget', 'start kvmd-otg']);
  assertBackToKvmd(t, r);
});

t.test('a failure at every step of an acquire rolls back everything begun, in reverse', async (t) => {
  const servicePoints = ['kvmd-janus', 'kvmd', 'kvmd-otg'].map((unit) => ({ label: `stop ${unit}`, unit }));
  const stepPoints = ALL_STEPS.map((name) => ({ label: name, step: name }));
  const queryPoints = ['kvmd-vnc', 'kvmd-otg'].map((unit) => ({ label: `query ${unit}`, query: unit }));
  const points: { label: string; unit?: string; step?: string; query?: string }[] = [...queryPoints, ...servicePoints, ...stepPoints];
  for (const point of points) {
    t.test(`failure at "${point.label}"`, async (t) => {
      const r = rig();
      t.teardown(r.cleanup);
      if (point.unit) r.fake.failOn('stop', point.unit);
      if (point.query) r.fake.failOn('isActive', point.query);
      if (point.step) r.control.failTake.add(point.step);
      const err = await rejectsWith(t, r.lease.acquire('a'), point.step ? 'busy' : 'io', new RegExp(`at "${point.label}"`));
      t.match(err?.message ?? '', /rolled back, kvmd restored/);
      t.ok(err?.cause instanceof AgentError, 'the original error is kept as the cause');

      // What was begun before the failure (the failing action included) is undone in reverse.
      const begun = r.events.filter((e) => e.startsWith('stop ') || e.startsWith('take '));
      const undone = r.events.slice(begun.length);
      t.same(undone, [...begun].reverse().map((e) => e.replace(/^take /, 'give ').replace(/^stop /, 'start ')));
      if (point.step) t.ok(begun.includes(`take ${point.step}`), 'the failing step was begun and is given back');
      assertBackToKvmd(t, r);
      assertProtectedUntouched(t, r);

      // The lease is usable again afterwards.
      r.control.failTake.clear();
      t.equal((await r.lease.acquire('b')).state, 'held');
      await r.lease.release();
      assertBackToKvmd(t, r);
    });
  }
});

t.test('a rollback that itself fails says so and keeps the rest for a later release', async (t) => {
  const r = rig();
  t.teardown(r.cleanup);
  r.control.failTake.add('edid');
  r.control.failGive.add('gadget');
  const err = await rejectsWith(t, r.lease.acquire('a'), 'busy', /rollback incomplete: give gadget/);
  t.ok(err);
  t.equal(r.fake.snapshot().kvmd, true, 'kvmd is started even though our gadget teardown failed');
  const s = r.lease.status();
  t.equal(s.state, 'releasing');
  t.same(s.takenSteps, ['gadget']);
  t.same(s.stoppedServices, []);
  t.match(JSON.parse(readFileSync(r.store.file, 'utf8')), { phase: 'releasing', takenSteps: ['gadget'] });
  await rejectsWith(t, r.lease.acquire('b'), 'busy', /incomplete/);
  r.control.failGive.clear();
  await r.lease.release();
  assertBackToKvmd(t, r);
});

t.test('a release that cannot give a step back still starts kvmd and can be retried', async (t) => {
  const r = rig();
  t.teardown(r.cleanup);
  await r.lease.acquire('a');
  r.control.failGive.add('capture');
  await rejectsWith(t, r.lease.release(), 'io', /give capture/);
  t.same(r.fake.snapshot(), r.initialUnits, 'the units are back regardless');
  t.equal(r.lease.status().state, 'releasing');
  t.match(r.lease.status().lastError, /capture: teardown failed/);
  r.control.failGive.clear();
  const before = r.events.length;
  await r.lease.release();
  t.same(r.events.slice(before), ['give capture'], 'only what was left is retried');
  assertBackToKvmd(t, r);
});

t.test('holders: explicit acquire is exclusive, implicit acquire joins', async (t) => {
  const r = rig();
  t.teardown(r.cleanup);
  await r.lease.ensure('input-session-1');
  t.equal(r.lease.status().holder, 'input-session-1', 'the first device command acquired implicitly');
  const stops = r.events.length;
  await r.lease.ensure('input-session-2');
  await r.lease.acquire('input-session-1');
  t.equal(r.events.length, stops, 'joining a held lease touches nothing');
  await rejectsWith(t, r.lease.acquire('someone-else'), 'busy', /held by input-session-1/);
  await rejectsWith(t, r.lease.acquire('has space'), 'bad-argument');
  await r.lease.stop();
  assertBackToKvmd(t, r);
});

t.test('idle release: counts down with no client and no command, touch() restarts it', async (t) => {
  const r = rig({ idleReleaseMs: 60_000 });
  t.teardown(r.cleanup);
  await r.lease.acquire('a');
  const start = r.clock.now();
  t.match(r.lease.status(), { idleReleaseInS: 60, idleReleaseAt: new Date(start + 60_000).toISOString() });
  r.clock.advance(59_001);
  t.equal(r.lease.status().idleReleaseInS, 1, 'a countdown in whole seconds, rounded up');
  r.clock.advance(998);
  await settle();
  t.equal(r.lease.status().state, 'held');
  r.lease.touch();
  r.clock.advance(30_000);
  await settle();
  t.equal(r.lease.status().state, 'held', 'the command reset the timer');
  t.match(r.lease.status(), { idleReleaseInS: 30, idleReleaseAt: new Date(r.clock.now() + 30_000).toISOString() });

  const detach = r.lease.attachClient();
  t.match(r.lease.status(), { idleReleaseInS: null, idleReleaseAt: null }, 'no countdown while a client is attached');
  t.equal(r.clock.pending(), 0);
  r.clock.advance(3_600_000);
  await settle();
  t.equal(r.lease.status().state, 'held');
  detach();
  detach();
  t.equal(r.lease.status().clients, 0, 'detaching twice counts once');
  t.equal(r.lease.status().idleReleaseInS, 60);
  r.clock.advance(60_000);
  await settle(() => r.lease.status().state === 'idle');
  assertBackToKvmd(t, r);
  t.ok(r.logger.records.some((rec) => rec.message === 'releasing devices to kvmd' && /idle/.test(String(rec.fields.reason))));
});

t.test('idle release disabled with 0', async (t) => {
  const r = rig({ idleReleaseMs: 0 });
  t.teardown(r.cleanup);
  await r.lease.acquire('a');
  t.match(r.lease.status(), { idleReleaseInS: null, idleReleaseAt: null });
  t.equal(r.clock.pending(), 0);
  await r.lease.release();
});

t.test('an agent restarted after a crash mid-lease gives the devices back', async (t) => {
  const r = rig();
  t.teardown(r.cleanup);
  await r.lease.acquire('job');
  // kill -9: the old Lease object is simply abandoned; only the file and the machine remain.
  const before = r.events.length;
  const next = r.restart();
  t.equal(await next.recover(), true);
  t.same(r.events.slice(before), ['give edid', 'give capture', 'give gadget', 'start kvmd-otg', 'start kvmd', 'start kvmd-janus']);
  t.same(r.fake.snapshot(), r.initialUnits);
  t.notOk(existsSync(r.store.file));
  t.equal(next.status().state, 'idle');
  t.equal(await next.recover(), false, 'nothing left to recover');
  assertProtectedUntouched(t, r);
});

t.test('a crash in the middle of an acquire is recovered too', async (t) => {
  const r = rig();
  t.teardown(r.cleanup);
  // The capture step never finishes: the process dies there.
  r.control.hangTake.add('capture');
  void r.lease.acquire('job');
  await settle(() => r.events.includes('take capture'));
  t.match(JSON.parse(readFileSync(r.store.file, 'utf8')), { phase: 'acquiring', takenSteps: ['gadget', 'capture'] });
  const before = r.events.length;
  t.equal(await r.restart().recover(), true);
  t.same(r.events.slice(before), ['give capture', 'give gadget', 'start kvmd-otg', 'start kvmd', 'start kvmd-janus']);
  t.same(r.fake.snapshot(), r.initialUnits);
});

t.test('an unreadable lease file gives back everything a lease can take', async (t) => {
  const r = rig({ units: { ...PIKVM_UNITS, kvmd: false, 'kvmd-otg': false } });
  t.teardown(r.cleanup);
  writeFileSync(r.store.file, '{"version": 1, "phase": "hel');
  t.equal(await r.lease.recover(), true);
  t.same(r.events, ['give edid', 'give capture', 'give gadget', 'start kvmd-otg', 'start kvmd']);
  t.equal(r.fake.snapshot().kvmd, true);
  t.notOk(existsSync(r.store.file));
  t.ok(r.logger.records.some((rec) => rec.level === 'warn' && /unreadable/.test(rec.message)));
});

t.test('with the real systemctl adapter (stand-in script): same order, protected units never named', async (t) => {
  const s = createStandIn(PIKVM_UNITS);
  t.teardown(s.cleanup);
  const r = rig();
  t.teardown(r.cleanup);
  const lease = new Lease({
    services: new SystemctlServiceManager({ logger: silentLogger, command: s.command }),
    steps: [],
    store: r.store,
    logger: silentLogger,
    idleReleaseMs: 0,
    cooperativeVideo: false,
  });
  await lease.acquire('job');
  const sorted = (u: Record<string, boolean>) => Object.fromEntries(Object.entries(u).sort(([a], [b]) => a.localeCompare(b)));
  t.same(s.state(), sorted({ ...PIKVM_UNITS, kvmd: false, 'kvmd-otg': false, 'kvmd-janus': false }));
  await lease.release();
  t.same(s.state(), sorted(PIKVM_UNITS));
  const calls = s.argv().map((a) => `${a[1]} ${a[a.length - 1]}`);
  t.same(calls.filter((c) => !c.startsWith('is-active')), [
    'stop kvmd-janus',
    'stop kvmd',
    'stop kvmd-otg',
    'start kvmd-otg',
    'start kvmd',
    'start kvmd-janus',
  ]);
  t.same(calls.filter((c) => PROTECTED_UNITS.some((u) => c.endsWith(` ${u}`))), []);
});
