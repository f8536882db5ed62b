/**
 * systemd service notification (sd_notify(3)) without a helper process: readiness, watchdog
 * keep-alives, status text and stopping are datagrams `VAR=value\n…` sent to the socket named by
 * `$NOTIFY_SOCKET`. Node has no Unix datagram sockets, so the socket is made with libc (libc.ts:
 * socket(AF_UNIX, SOCK_DGRAM) + sendto), once per service lifetime rather than a process
 * per ping. Without `$NOTIFY_SOCKET` (not started by systemd, or Type≠notify) everything is a no-op.
 */
import { endianness } from 'node:os';
import { AgentError, describe, fromErrno } from '../errors';
import { Logger } from '../log';
import { errnoError } from './errno';
import { type Libc, systemLibc } from './libc';

/** One datagram per call; throws AgentError when the kernel refuses it. */
export interface NotifyTransport {
  send(message: string): void;
  close(): void;
}
type NotifyTransportOpener = (address: string) => NotifyTransport;

// Linux ABI constants, identical on x86-64, armv7h and aarch64 (not on MIPS/SPARC, which PiKVM is not):
// AF_UNIX and SOCK_DGRAM from include/linux/socket.h and include/linux/net.h, SOCK_CLOEXEC =
// O_CLOEXEC from include/uapi/asm-generic/fcntl.h, MSG_* from include/linux/socket.h.
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40; // never block the event loop on a full receive queue: drop and report EAGAIN
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un.sun_path) on Linux (include/uapi/linux/un.h). */
const SUN_PATH_MAX = 108;

/**
 * struct sockaddr_un for a `$NOTIFY_SOCKET` value and the length to pass to sendto: a path socket
 * counts its terminating NUL, an abstract one (`@name`, stored as a leading NUL) does not, as in
 * systemd's SOCKADDR_UN_LEN. Other forms (`vsock:…`, used for VMs) are not supported.
 */
export function notifySocketAddress(address: string): Buffer {
  const abstract = address.startsWith('@');
  if (!abstract && !address.startsWith('/')) {
    throw new AgentError('not-supported', `NOTIFY_SOCKET ${JSON.stringify(address)}: only path and @abstract sockets are supported`);
  }
  const name = Buffer.from(abstract ? address.slice(1) : address, 'utf8');
  if (name.length + 1 > SUN_PATH_MAX || name.length === 0) {
    throw new AgentError('bad-argument', `NOTIFY_SOCKET ${JSON.stringify(address)}: name must be 1..${SUN_PATH_MAX - 1} bytes`);
  }
  const addr = Buffer.alloc(2 + 1 + name.length); // sa_family_t (u16, host order) + sun_path
  if (endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  name.copy(addr, abstract ? 3 : 2); // abstract: sun_path[0] = 0; path: NUL after the name
  return addr;
}

/** The libc calls a notification socket needs. */
type NotifyLibc = Pick<Libc, 'socket' | 'sendto' | 'close'>;

/**
 * The real transport: one AF_UNIX datagram socket, closed by `close()`. libc is bound on first
 * use, so importing this module never loads the native addon.
 */
export function openNotifySocket(address: string, libc: NotifyLibc = systemLibc()): NotifyTransport {
  const addr = notifySocketAddress(address);
  const socket = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (!socket.ok) throw fromErrno(errnoError(socket.errno, 'socket'), 'sd_notify socket');
  const fd = socket.value;
  let open = true;
  return {
    send(message) {
      if (!open) throw new AgentError('internal', 'sd_notify: send after close');
      const sent = libc.sendto(fd, Buffer.from(message, 'utf8'), MSG_DONTWAIT | MSG_NOSIGNAL, addr);
      if (!sent.ok) throw fromErrno(errnoError(sent.errno, 'sendto', address), `sd_notify ${address}`);
    },
    close() {
      if (open) libc.close(fd);
      open = false;
    },
  };
}

/**
 * How often to send WATCHDOG=1, in milliseconds: half of `$WATCHDOG_USEC` as sd_watchdog_enabled(3)
 * recommends; undefined when the watchdog is off or `$WATCHDOG_PID` names another process.
 */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^[0-9]+$/.test(usec) || Number(usec) === 0) return undefined;
  const forPid = env.WATCHDOG_PID;
  if (forPid !== undefined && forPid !== '' && Number(forPid) !== pid) return undefined;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

export interface SdNotifyDeps {
  env: NodeJS.ProcessEnv;
  log: Logger;
  pid?: number;
  open?: NotifyTransportOpener;
}

/**
 * The service's link to systemd. `start()` opens the socket and, when the unit has WatchdogSec=,
 * pings from a timer (which proves the event loop turns); `stop()` releases both. Send failures are
 * logged once and never thrown: a lost status line must not take the agent down.
 */
export class SdNotify {
  private transport: NotifyTransport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly deps: SdNotifyDeps) {}

  /** True while connected to systemd's notification socket. */
  get enabled(): boolean {
    return this.transport !== undefined;
  }

  async start(): Promise<void> {
    if (this.transport) return;
    const address = this.deps.env.NOTIFY_SOCKET;
    if (!address) return;
    try {
      this.transport = this.deps.open ? this.deps.open(address) : openNotifySocket(address);
    } catch (e) {
      this.deps.log.error('cannot open the systemd notification socket', { socket: address, error: describe(e) });
      return;
    }
    const interval = watchdogInterval(this.deps.env, this.deps.pid ?? process.pid);
    if (interval !== undefined) {
      this.timer = setInterval(() => this.watchdog(), interval);
      this.timer.unref();
      this.deps.log.debug('systemd watchdog on', { interval_ms: interval });
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.transport?.close();
    this.transport = undefined;
  }

  /** Start-up finished: systemd moves the unit to active and starts dependants. */
  ready(status?: string): void {
    this.send(['READY=1', ...statusLine(status)]);
  }

  /** One-line status shown by `systemctl status`. */
  status(text: string): void {
    this.send(statusLine(text));
  }

  watchdog(): void {
    this.send(['WATCHDOG=1']);
  }

  /** Shutdown began: systemd waits for the exit instead of treating it as a crash. */
  stopping(status?: string): void {
    this.send(['STOPPING=1', ...statusLine(status)]);
  }

  private send(lines: string[]): void {
    if (!this.transport || lines.length === 0) return;
    try {
      this.transport.send(lines.join('\n'));
      if (this.failing) this.deps.log.info('systemd notification works again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.deps.log.warn('systemd notification failed', { error: describe(e) });
      this.failing = true;
    }
  }
}

/** STATUS= is one line; newlines would start new assignments. */
function statusLine(text: string | undefined): string[] {
  return text === undefined ? [] : [`STATUS=${text.replace(/[\r\n]+/g, ' ')}`];
}
