/** Reuse of RGB frame buffers under the hold rule (agent/video/rgb-pool.ts). */
import t from 'tap';
import type { Frame } from '../../../agent/video/frame';
import { RgbBufferPool, holdPixels } from '../../../agent/video/rgb-pool';

t.test('a buffer comes back for reuse only when the last hold is released', async (t) => {
  const pool = new RgbBufferPool();
  const a = pool.take(12);
  const hub = a.pooled.hold();
  const socket = a.pooled.hold();
  a.release();
  t.not(pool.take(12).pooled.buffer, a.pooled.buffer, 'still held by two: a new buffer');
  hub();
  t.equal(pool.idleCount, 0);
  socket();
  t.equal(pool.idleCount, 1, 'released by all: idle');
  t.equal(pool.take(12).pooled.buffer, a.pooled.buffer, 'and reused');
});

t.test('releasing the same hold twice counts once', async (t) => {
  const pool = new RgbBufferPool();
  const a = pool.take(3);
  const other = a.pooled.hold();
  a.release();
  a.release();
  t.equal(pool.idleCount, 0, 'the other hold still stands');
  other();
  t.equal(pool.idleCount, 1);
});

t.test('only buffers of the asked size are reused, and at most `keep` are kept', async (t) => {
  const pool = new RgbBufferPool(2);
  const taken = [pool.take(6), pool.take(6), pool.take(6), pool.take(9)];
  for (const x of taken) x.release();
  t.equal(pool.idleCount, 2);
  const again = pool.take(9);
  t.notOk(taken.some((x) => x.pooled.buffer === again.pooled.buffer), 'the 9-byte buffer was not kept (two 6-byte ones were)');
  t.equal(again.pooled.buffer.length, 9);
});

t.test('frames without a pool need no release', async (t) => {
  const frame: Frame = { width: 1, height: 1, rgb: Buffer.alloc(3), sequence: 0, capturedAt: 0, online: true };
  const release = holdPixels(frame);
  t.doesNotThrow(() => release());
});

t.test('a late hold keeps unchanged pixels; once the buffer serves another frame it is refused', async (t) => {
  const pool = new RgbBufferPool();
  const a = pool.take(3);
  a.release();
  t.equal(pool.idleCount, 1);
  const late = a.pooled.hold();
  t.equal(pool.idleCount, 0, 'held again: out of the idle list');
  t.not(pool.take(3).pooled.buffer, a.pooled.buffer, 'so not handed out');
  late();
  const b = pool.take(3);
  t.equal(b.pooled.buffer, a.pooled.buffer, 'released: reused');
  t.throws(() => a.pooled.hold(), { code: 'internal' }, 'the old frame cannot be held any more');
});
