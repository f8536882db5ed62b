/**
 * The process's one binding to libc, made in-process with koffi (no helper process, no native
 * addon to build): the calls Node does not offer — ioctl, mmap, poll on a worker thread, Unix
 * datagram sockets, flock. Every call returns `{ ok: true, value }` or `{ ok: false, errno: 'EXXX' }`,
 * the errno read from koffi right after the call (koffi saves errno of async calls on the worker
 * thread and restores it for the callback: koffi src/koffi/src/call.cc `AsyncCall::Complete`) and
 * named once by the table in errno.ts. Callers translate the name into their codes; they take the
 * slice of `Libc` they use, so tests substitute a fake of that slice.
 *
 * koffi is loaded on the first `systemLibc()`, so importing this module never loads the addon.
 */
import type * as KoffiModule from 'koffi' with { 'resolution-mode': 'import' };
import { errnoNameTable } from './errno';

export type Pointer = unknown;

export type CallResult = { ok: true; value: number } | { ok: false; errno: string };
type MapResult = { ok: true; pointer: Pointer } | { ok: false; errno: string };

export interface Libc {
  open(path: string, flags: number): CallResult;
  close(fd: number): CallResult;
  /** `ioctl(fd, request, arg)` with `arg` a Buffer holding the struct (or a C int) the request names. */
  ioctl(fd: number, request: number, arg: Buffer): CallResult;
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): MapResult;
  munmap(pointer: Pointer, length: number): CallResult;
  /** `poll()` on a worker thread so the event loop keeps running while it waits. */
  pollAsync(pollfds: Buffer, count: number, timeoutMs: number): Promise<CallResult>;
  socket(domain: number, type: number, protocol: number): CallResult;
  /** `sendto(fd, message, message.length, flags, address, address.length)`. */
  sendto(fd: number, message: Buffer, flags: number, address: Buffer): CallResult;
  flock(fd: number, operation: number): CallResult;
  /** The memory behind an mmap'd pointer as a Uint8Array (no copy; invalid after munmap). */
  view(pointer: Pointer, length: number): Uint8Array;
  /** The address of a Buffer's bytes, to store in a struct's pointer field. */
  addressOf(buffer: Buffer): bigint;
}

/** From <fcntl.h> / <sys/mman.h> / <poll.h>; identical on x86_64, aarch64 and armv7h Linux. */
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLERR = 0x008;

let bound: Libc | undefined;

/** The real libc, loaded once per process. */
export function systemLibc(): Libc {
  bound ??= bindLibc();
  return bound;
}

function bindLibc(): Libc {
  // koffi ships CommonJS (index.cjs) but declares its types as an ES module; we compile to
  // CommonJS, so load it with require and borrow the types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof KoffiModule;
  const lib = koffi.load('libc.so.6');
  const errnoNames = errnoNameTable(koffi.os.errno);
  const errnoName = (): string => {
    const n = koffi.errno();
    return errnoNames.get(n) ?? `errno ${n}`;
  };
  const result = (value: number | bigint): CallResult =>
    value < 0 ? { ok: false, errno: errnoName() } : { ok: true, value: Number(value) };

  const open = lib.func('int open(const char *path, int flags, ...)');
  const close = lib.func('int close(int fd)');
  // ioctl is variadic in glibc (`int ioctl(int, unsigned long, ...)`): call it as declared.
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  // `long` is off_t on both LP64 and 32-bit glibc without _FILE_OFFSET_BITS=64; V4L2 mmap offsets
  // (v4l2_buffer.m.offset, a __u32 cookie) always fit.
  const mmap = lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)');
  const munmap = lib.func('int munmap(void *addr, size_t length)');
  const poll = lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const sendto = lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
  const flock = lib.func('int flock(int fd, int operation)');
  // MAP_FAILED is (void *)-1.
  const mapFailed = (1n << BigInt(8 * koffi.sizeof('void *'))) - 1n;

  return {
    open: (path, flags) => result(open(path, flags, 'int', 0) as number),
    close: (fd) => result(close(fd) as number),
    ioctl: (fd, request, arg) => result(ioctl(fd, request, 'void *', arg) as number),
    mmap: (length, prot, flags, fd, offset) => {
      const pointer = mmap(null, length, prot, flags, fd, offset);
      if (pointer === null || koffi.address(pointer) === mapFailed) return { ok: false, errno: errnoName() };
      return { ok: true, pointer };
    },
    munmap: (pointer, length) => result(munmap(pointer, length) as number),
    pollAsync: (pollfds, count, timeoutMs) =>
      new Promise((resolve, reject) => {
        poll.async(pollfds, count, timeoutMs, (err: unknown, value: number) => {
          if (err) reject(err);
          else resolve(result(value));
        });
      }),
    socket: (domain, type, protocol) => result(socket(domain, type, protocol) as number),
    sendto: (fd, message, flags, address) =>
      result(sendto(fd, message, message.length, flags, address, address.length) as number | bigint),
    flock: (fd, operation) => result(flock(fd, operation) as number),
    view: (pointer, length) => new Uint8Array(koffi.view(pointer, length)),
    addressOf: (buffer) => koffi.address(buffer),
  };
}
