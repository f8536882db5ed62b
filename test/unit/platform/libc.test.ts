/**
 * The real koffi libc binding on the host (no V4L2 device needed): errno comes back by name, ioctl on a
 * non-V4L2 fd is ENOTTY → not-supported, mmap + view see a file's bytes, and poll() waits on a
 * worker thread while the event loop keeps running.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { V4l2Device } from '../../../agent/capture/v4l2/device';
import { errnoNameTable } from '../../../agent/platform/errno';
import { MAP_SHARED, O_NONBLOCK, O_RDWR, POLLIN, PROT_READ, systemLibc } from '../../../agent/platform/libc';

const libc = systemLibc();

async function scratch(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'v4l2-libc-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('open of a missing node fails with ENOENT, seen as no-device', async (t) => {
  const dir = await scratch(t);
  t.same(libc.open(path.join(dir, 'video9'), O_RDWR), { ok: false, errno: 'ENOENT' });
  const device = new V4l2Device();
  t.throws(() => device.open(path.join(dir, 'video9')), { code: 'no-device', errno: 'ENOENT', state: 'no-device' });
  t.notOk(device.isOpen);
});

t.test('a V4L2 ioctl on a file that is not a V4L2 node is ENOTTY → not-supported', async (t) => {
  const file = path.join(await scratch(t), 'plain');
  await fs.writeFile(file, 'x');
  const device = new V4l2Device();
  device.open(file);
  t.teardown(() => device.close());
  t.throws(() => device.queryCap(), { code: 'not-supported', errno: 'ENOTTY' });
});

t.test('mmap and view expose the mapped bytes; munmap releases them', async (t) => {
  const file = path.join(await scratch(t), 'data');
  const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff));
  await fs.writeFile(file, bytes);
  const fd = libc.open(file, O_RDWR);
  if (!fd.ok) throw new Error(fd.errno);
  t.teardown(() => libc.close(fd.value));
  const m = libc.mmap(4096, PROT_READ, MAP_SHARED, fd.value, 0);
  if (!m.ok) throw new Error(m.errno);
  const copy = Buffer.from(libc.view(m.pointer, 4096).subarray(0, 100));
  t.ok(copy.equals(bytes.subarray(0, 100)), 'mapped bytes are the file bytes');
  t.same(libc.munmap(m.pointer, 4096), { ok: true, value: 0 });
  t.same(libc.mmap(4096, PROT_READ, MAP_SHARED, 12345, 0), { ok: false, errno: 'EBADF' }, 'MAP_FAILED is detected');
});

t.test('poll waits on a worker thread: timers run while it waits, and it wakes on data', async (t) => {
  const fifo = path.join(await scratch(t), 'fifo');
  execFileSync('mkfifo', [fifo]);
  // O_RDWR on a FIFO never blocks on Linux (fifo(7)).
  const fd = libc.open(fifo, O_RDWR | O_NONBLOCK);
  if (!fd.ok) throw new Error(fd.errno);
  t.teardown(() => libc.close(fd.value));
  const order: string[] = [];
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd.value, 0);
  pfd.writeInt16LE(POLLIN, 4);
  setTimeout(() => {
    order.push('timer');
    writeFileSync(fifo, 'frame');
  }, 20);
  const r = await libc.pollAsync(pfd, 1, 10_000);
  order.push('poll');
  t.same(r, { ok: true, value: 1 });
  t.equal(pfd.readInt16LE(6) & POLLIN, POLLIN, 'revents has POLLIN');
  t.same(order, ['timer', 'poll'], 'the event loop ran while poll waited');
  const timeout = await libc.pollAsync(Buffer.from(pfd.fill(0, 6)), 0, 0);
  t.same(timeout, { ok: true, value: 0 }, 'nothing to wait for: returns 0');
});

t.test('errno aliases are reported by their canonical name (EAGAIN, not EWOULDBLOCK)', async (t) => {
  const names = errnoNameTable({ EAGAIN: 11, EDEADLK: 35, EDEADLOCK: 35, ENOTSUP: 95, EOPNOTSUPP: 95, EWOULDBLOCK: 11 });
  t.equal(names.get(11), 'EAGAIN');
  t.equal(names.get(35), 'EDEADLK');
  t.equal(names.get(95), 'ENOTSUP');
});
