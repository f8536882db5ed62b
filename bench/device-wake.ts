/**
 * What one wake-up of the capture loop costs on a real device compared with the bench's fake one:
 * the V4L2 source waits for a frame with poll(2) on a koffi worker thread (agent/platform/libc.ts
 * `pollAsync`), the fake capture device with a timer. Here a timerfd firing at 60 Hz stands in for
 * the capture node becoming readable; each wake-up polls it on a worker thread, then reads it (the
 * ioctl pair DQBUF + QBUF of a real frame is two more synchronous koffi calls, timed alongside).
 *
 * Run: `npm run build && node dist/bench/device-wake.js [seconds=10]`.
 */
import type * as KoffiModule from 'koffi' with { 'resolution-mode': 'import' };
import { POLLIN, systemLibc } from '../agent/platform/libc';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = require('koffi') as typeof KoffiModule;

const SECONDS = Number(process.argv[2] ?? 10);
const HZ = 60;
const CLOCK_MONOTONIC = 1;
const TFD_NONBLOCK = 0o4000;

async function pollLoop(): Promise<{ wakes: number; cpuMs: number }> {
  const lib = koffi.load('libc.so.6');
  const timerfdCreate = lib.func('int timerfd_create(int clockid, int flags)');
  const timerfdSettime = lib.func('int timerfd_settime(int fd, int flags, const void *new_value, void *old_value)');
  const read = lib.func('long read(int fd, _Out_ void *buf, size_t count)');
  const close = lib.func('int close(int fd)');
  const fd = timerfdCreate(CLOCK_MONOTONIC, TFD_NONBLOCK) as number;
  if (fd < 0) throw new Error('timerfd_create failed');
  // struct itimerspec { timespec it_interval; timespec it_value; } with 64-bit fields on LP64.
  const spec = Buffer.alloc(32);
  const periodNs = BigInt(Math.round(1e9 / HZ));
  spec.writeBigInt64LE(0n, 0);
  spec.writeBigInt64LE(periodNs, 8);
  spec.writeBigInt64LE(0n, 16);
  spec.writeBigInt64LE(periodNs, 24);
  if ((timerfdSettime(fd, 0, spec, null) as number) < 0) throw new Error('timerfd_settime failed');
  const libc = systemLibc();
  const pollfd = Buffer.alloc(8);
  pollfd.writeInt32LE(fd, 0);
  pollfd.writeInt16LE(POLLIN, 4);
  const expirations = Buffer.alloc(8);
  let wakes = 0;
  const end = performance.now() + SECONDS * 1000;
  const c0 = process.cpuUsage();
  while (performance.now() < end) {
    await libc.pollAsync(pollfd, 1, 1000);
    read(fd, expirations, 8);
    wakes++;
  }
  const c = process.cpuUsage(c0);
  close(fd);
  return { wakes, cpuMs: (c.user + c.system) / 1000 };
}

async function timerLoop(): Promise<{ wakes: number; cpuMs: number }> {
  let wakes = 0;
  const end = performance.now() + SECONDS * 1000;
  const c0 = process.cpuUsage();
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 1000 / HZ));
    wakes++;
  }
  const c = process.cpuUsage(c0);
  return { wakes, cpuMs: (c.user + c.system) / 1000 };
}

(async () => {
  const poll = await pollLoop();
  const timer = await timerLoop();
  const us = (r: { wakes: number; cpuMs: number }) => ((r.cpuMs * 1000) / r.wakes).toFixed(0);
  console.log(`# one capture-loop wake-up, ${HZ} Hz for ${SECONDS} s each; node ${process.version}, ${process.arch}`);
  console.log(`  poll(2) on a koffi worker thread + read: ${us(poll)} µs CPU per wake (${poll.wakes} wakes)`);
  console.log(`  timer (the bench's fake device)       : ${us(timer)} µs CPU per wake (${timer.wakes} wakes)`);
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
