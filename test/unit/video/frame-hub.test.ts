import t from 'tap';
import { FrameHub } from '../../../agent/video/frame-hub';
import type { Frame } from '../../../agent/video/frame';
import { recordingLogger } from '../../../agent/log';
import { SyntheticSource } from '../../doubles/synthetic-source';
import { RgbBufferPool } from '../../../agent/video/rgb-pool';
import { ManualSource } from './fixtures/fake-source';

function setup() {
  let clock = 0;
  const source = new ManualSource();
  const log = recordingLogger('hub');
  const hub = new FrameHub({ source, logger: log, now: () => clock, maxFps: 30 });
  return { source, hub, log, setClock: (ms: number) => (clock = ms) };
}

t.test('demand follows the fastest subscriber', async (t) => {
  const { source, hub } = setup();
  await hub.start();
  t.teardown(() => hub.stop());
  t.equal(source.started, 1);
  t.equal(source.demand, 0, 'nobody watching: no conversion');
  const a = hub.subscribe(2, () => undefined);
  t.equal(source.demand, 2);
  const b = hub.subscribe(10, () => undefined);
  t.equal(source.demand, 10);
  b.close();
  t.equal(source.demand, 2, 'back to the remaining subscriber');
  a.close();
  t.equal(source.demand, 0);
  t.equal(hub.subscriberCount, 0);
  t.throws(() => hub.subscribe(0, () => undefined), { code: 'bad-argument' });
  t.throws(() => hub.subscribe(31, () => undefined), { code: 'bad-argument' });
  t.throws(() => hub.subscribe(2.5, () => undefined), { code: 'bad-argument' });
});

t.test('a subscriber gets frames at its own rate', async (t) => {
  const { source, hub, setClock } = setup();
  await hub.start();
  t.teardown(() => hub.stop());
  setClock(0);
  source.frame(0);
  const got: Frame[] = [];
  const sub = hub.subscribe(2, (f) => got.push(f));
  t.equal(got.length, 1, 'first frame at once');
  // source at 10 fps for 3 s: a 2 fps subscriber gets every fifth
  for (let ms = 100; ms <= 3000; ms += 100) {
    setClock(ms);
    source.frame(ms);
  }
  t.equal(got.length, 1 + 6, `7 frames in 3 s at 2 fps (got ${got.length})`);
  t.ok(got.slice(1).every((f, i) => i === 0 || f.sequence > got[i]!.sequence), 'sequences increase');
  const fast: Frame[] = [];
  const sub2 = hub.subscribe(10, (f) => fast.push(f));
  for (let ms = 3100; ms <= 4000; ms += 100) {
    setClock(ms);
    source.frame(ms);
  }
  t.equal(fast.length, 11, '10 fps subscriber gets every frame (+ the first at once)');
  sub.close();
  sub2.close();
});

t.test('offline: a placeholder frame, marked, at the last mode', async (t) => {
  const { source, hub, log } = setup();
  await hub.start();
  t.teardown(() => hub.stop());
  source.frame(0, 64, 32);
  t.equal(hub.latest().online, true);
  source.state({ online: false, reason: 'no-signal' }, 5);
  const p = hub.latest();
  t.equal(p.online, false);
  t.equal(p.reason, 'no-signal');
  t.equal(p.width, 64, 'last known width');
  t.equal(p.height, 32);
  t.equal(p.rgb.length, 64 * 32 * 3);
  t.ok(new Set(p.rgb).size > 1, 'something is drawn on it');
  t.match(hub.signal(), { online: false, reason: 'no-signal', width: 64, height: 32 });
  t.ok(log.records.some((r) => r.message === 'signal offline'), 'logged once');
  source.state({ online: false, reason: 'no-signal' }, 6);
  t.equal(log.records.filter((r) => r.message === 'signal offline').length, 1, 'not logged again');
  const got: Frame[] = [];
  const sub = hub.subscribe(5, (f) => got.push(f));
  t.equal(got[0]?.online, false, 'subscribers get the placeholder, not an error');
  sub.close();
  source.frame(10, 128, 64);
  t.match(hub.signal(), { online: true, width: 128, height: 64 }, 'a frame brings it back, with the new mode');
  t.equal(hub.latest().width, 128);
});

t.test('a stalled source keeps subscribers fed (timer fallback)', async (t) => {
  const source = new SyntheticSource({ width: 32, height: 16, rate: 60 });
  const hub = new FrameHub({ source });
  await hub.start();
  t.teardown(() => hub.stop());
  source.goOffline('no-signal');
  const got: Frame[] = [];
  const sub = hub.subscribe(20, (f) => got.push(f));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (got.length >= 4) {
        clearInterval(check);
        resolve();
      }
    }, 10);
    setTimeout(() => {
      clearInterval(check);
      resolve();
    }, 5000).unref();
  });
  sub.close();
  t.ok(got.length >= 4, `placeholders keep coming while offline (${got.length})`);
  t.ok(got.every((f) => !f.online && f.reason === 'no-signal'));
  t.equal(source.rendered, 0, 'the offline source converted nothing');
});

t.test('a throwing subscriber is dropped, others continue', async (t) => {
  const { source, hub, setClock } = setup();
  await hub.start();
  t.teardown(() => hub.stop());
  let calls = 0;
  hub.subscribe(10, () => {
    calls++;
    throw new Error('boom');
  });
  const got: Frame[] = [];
  hub.subscribe(10, (f) => got.push(f));
  setClock(100);
  source.frame(100);
  t.equal(calls, 1);
  t.equal(hub.subscriberCount, 1);
  t.equal(got.length, 2);
});

t.test('stop releases subscribers and the source', async (t) => {
  const { source, hub } = setup();
  await hub.start();
  hub.subscribe(3, () => undefined);
  await hub.stop();
  t.equal(hub.subscriberCount, 0);
  t.equal(source.stopped, 1);
  t.equal(source.listenerCount('frame'), 0, 'listeners removed');
  t.match(hub.signal(), { online: false, reason: 'stopped' });
  await hub.stop();
  t.equal(source.stopped, 1, 'stop is idempotent');
});

t.test('snapshot raises demand until a fresh frame arrives', async (t) => {
  const { source, hub, setClock } = setup();
  await hub.start();
  t.teardown(() => hub.stop());
  source.frame(0);
  setClock(5000);
  const pending = hub.snapshot(500, 2000);
  t.ok(source.demand > 0, 'demand raised for the snapshot');
  const fresh = source.frame(5000);
  const got = await pending;
  t.equal(got.sequence, fresh.sequence, 'the fresh frame is returned');
  t.equal(source.demand, 0, 'demand dropped again');
  setClock(9000);
  const stale = await hub.snapshot(500, 20);
  t.equal(stale.sequence, fresh.sequence, 'no new frame within the bound: the latest is returned');
  t.equal(source.demand, 0, 'demand dropped after the timeout too');
});

t.test('the hub holds the latest pooled frame until another replaces it, the signal goes or it stops', async (t) => {
  const { source, hub } = setup();
  await hub.start();
  const pool = new RgbBufferPool();
  const publish = (sequence: number): Buffer => {
    const { pooled, release } = pool.take(4 * 2 * 3);
    source.emit('frame', { width: 4, height: 2, rgb: pooled.buffer, sequence, capturedAt: 0, online: true, hold: pooled.hold });
    release(); // the producer's own hold ends after the synchronous delivery
    return pooled.buffer;
  };
  const first = publish(1);
  t.equal(pool.idleCount, 0, 'the latest frame is held');
  t.equal(hub.latest().rgb, first);
  publish(2);
  t.equal(pool.idleCount, 1, 'replaced: the first buffer is free again');
  source.state({ online: false, reason: 'no-signal' });
  t.equal(pool.idleCount, 2, 'signal lost: the latest is released too');
  publish(3);
  t.equal(pool.idleCount, 1);
  await hub.stop();
  t.equal(pool.idleCount, 2, 'stopped: nothing held');
});
