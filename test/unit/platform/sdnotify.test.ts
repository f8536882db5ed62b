import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { recordingLogger } from '../../../agent/log';
import { errnoOf } from '../../../agent/errors';
import { notifySocketAddress, openNotifySocket, SdNotify, watchdogInterval } from '../../../agent/platform/sdnotify';

/**
 * A real AF_UNIX datagram receiver, independent of the code under test: python3's socket module in
 * a child process, printing each datagram as one JSON line. It exits after `idleTimeoutS` without
 * a datagram, so a lost message fails the test instead of hanging it.
 */
const RECEIVER = `
import json, socket, sys
address = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("\\0" + address[1:] if address.startswith("@") else address)
sock.settimeout(float(sys.argv[2]))
print("bound", flush=True)
try:
    while True:
        print(json.dumps(sock.recv(65536).decode()), flush=True)
except socket.timeout:
    pass
`;

interface NotifyReceiver {
  /** Resolves with the next datagram; rejects when the receiver times out or exits. */
  next(): Promise<string>;
  close(): void;
}

/** Binds `address` (a path or `@abstract`) and resolves once the socket exists. */
async function startReceiver(address: string, idleTimeoutS = 10): Promise<NotifyReceiver> {
  const child = spawn('python3', ['-c', RECEIVER, address, String(idleTimeoutS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiters: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  lines.on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(line);
    else queue.push(line);
  });
  const end = (why: string) => {
    ended = true;
    for (const w of waiters.splice(0)) w.reject(new Error(why));
  };
  lines.on('close', () => end('receiver exited without a datagram'));
  child.on('error', (e) => end(`cannot run python3: ${e.message}`));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const queued = queue.shift();
      if (queued !== undefined) resolve(queued);
      else if (ended) reject(new Error('receiver exited without a datagram'));
      else waiters.push({ resolve, reject });
    });
  const first = await nextLine();
  if (first !== 'bound') throw new Error(`receiver did not start: ${first}`);
  return {
    next: async () => JSON.parse(await nextLine()) as string,
    close: () => {
      child.kill();
    },
  };
}

/** A receiver that binds `address` and never reads, so its queue fills up. */
async function startDeafReceiver(address: string): Promise<() => void> {
  const script = 'import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound", flush=True)\nsys.stdin.read()\n';
  const child = spawn('python3', ['-c', script, address], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [first] = await new Promise<string[]>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve([line]));
    child.once('error', reject);
    child.once('exit', () => reject(new Error('receiver exited')));
  });
  if (first !== 'bound') throw new Error(`receiver did not start: ${first}`);
  return () => child.kill();
}

/** A short socket directory: sun_path holds at most 107 bytes, tap's fixture paths can be longer. */
function socketDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('sockaddr_un for path and abstract sockets', async (t) => {
  const path = notifySocketAddress('/run/systemd/notify');
  t.equal(path.readUInt16LE(0), 1, 'AF_UNIX (little-endian host)');
  t.equal(path.subarray(2).toString('latin1'), '/run/systemd/notify\0', 'path with its NUL');
  t.equal(path.length, 2 + 19 + 1);

  const abstract = notifySocketAddress('@agent/notify');
  t.equal(abstract[2], 0, 'abstract names start with a NUL byte');
  t.equal(abstract.subarray(3).toString('latin1'), 'agent/notify', 'and carry no terminator');
  t.equal(abstract.length, 2 + 1 + 12);

  t.throws(() => notifySocketAddress('vsock:2:1234'), { name: 'AgentError', code: 'not-supported' });
  t.throws(() => notifySocketAddress('/' + 'x'.repeat(107)), { name: 'AgentError', code: 'bad-argument' });
  t.equal(notifySocketAddress('/' + 'x'.repeat(106)).length, 110, 'the longest path fits sun_path[108]');
});

t.test('watchdogInterval is half of WATCHDOG_USEC, for our pid only', async (t) => {
  t.equal(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 42), 15000);
  t.equal(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15000);
  t.equal(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42), undefined, 'meant for another process');
  t.equal(watchdogInterval({}, 42), undefined, 'no watchdog');
  t.equal(watchdogInterval({ WATCHDOG_USEC: '0' }, 42), undefined);
  t.equal(watchdogInterval({ WATCHDOG_USEC: 'soon' }, 42), undefined);
  t.equal(watchdogInterval({ WATCHDOG_USEC: '1000' }, 42), 1, 'never below 1 ms');
});

t.test('without NOTIFY_SOCKET nothing is opened or sent', async (t) => {
  const opened: string[] = [];
  const notify = new SdNotify({
    env: { WATCHDOG_USEC: '1000' },
    log: recordingLogger(),
    open: (address) => {
      opened.push(address);
      throw new Error('must not be called');
    },
  });
  await notify.start();
  notify.ready('up');
  notify.watchdog();
  notify.stopping();
  await notify.stop();
  t.equal(notify.enabled, false);
  t.strictSame(opened, []);
});

t.test('a real path socket receives READY, STATUS and STOPPING', async (t) => {
  const address = join(socketDir(t), 'notify');
  const receiver = await startReceiver(address);
  t.teardown(() => receiver.close());
  const log = recordingLogger();
  const notify = new SdNotify({ env: { NOTIFY_SOCKET: address }, log });
  await notify.start();
  t.equal(notify.enabled, true);
  notify.ready('serving\non 2 sockets');
  notify.status('test running');
  notify.stopping('bye');
  t.equal(await receiver.next(), 'READY=1\nSTATUS=serving on 2 sockets', 'one datagram, status on one line');
  t.equal(await receiver.next(), 'STATUS=test running');
  t.equal(await receiver.next(), 'STOPPING=1\nSTATUS=bye');
  await notify.stop();
  t.equal(notify.enabled, false);
  t.strictSame(
    log.records.filter((r) => r.level !== 'debug'),
    [],
    'nothing to warn about',
  );
});

t.test('an abstract socket receives the watchdog pings from the timer', async (t) => {
  const address = `@pikvm-agent-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const receiver = await startReceiver(address);
  t.teardown(() => receiver.close());
  const notify = new SdNotify({ env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: '20000' }, log: recordingLogger() });
  await notify.start();
  t.teardown(() => notify.stop());
  t.equal(await receiver.next(), 'WATCHDOG=1');
  t.equal(await receiver.next(), 'WATCHDOG=1', 'and keeps pinging');
});

t.test('a missing receiver is logged once, not thrown, and recovery is noticed', async (t) => {
  const address = join(socketDir(t), 'late');
  const log = recordingLogger();
  const notify = new SdNotify({ env: { NOTIFY_SOCKET: address }, log });
  await notify.start();
  t.teardown(() => notify.stop());
  notify.ready();
  notify.status('again');
  const warnings = log.records.filter((r) => r.level === 'warn');
  t.equal(warnings.length, 1, 'one warning for repeated failures');
  t.match(warnings[0]!.fields.error, /sd_notify .*late: (ENOENT|ECONNREFUSED)/);

  const receiver = await startReceiver(address);
  t.teardown(() => receiver.close());
  notify.status('back');
  t.equal(await receiver.next(), 'STATUS=back');
  t.ok(log.records.some((r) => r.level === 'info' && /works again/.test(r.message)));
});

t.test('an unsupported NOTIFY_SOCKET is an error in the log, and the service keeps running', async (t) => {
  const log = recordingLogger();
  const notify = new SdNotify({ env: { NOTIFY_SOCKET: 'vsock:2:999' }, log });
  await notify.start();
  notify.ready();
  t.equal(notify.enabled, false);
  t.match(log.records, [{ level: 'error', fields: { socket: 'vsock:2:999' } }]);
});

t.test('a full receive queue is reported as EAGAIN (errno 11 by its canonical name, not EWOULDBLOCK)', async (t) => {
  const address = join(socketDir(t), 'deaf');
  t.teardown(await startDeafReceiver(address));
  const transport = openNotifySocket(address);
  t.teardown(() => transport.close());
  let failure: unknown;
  // The kernel queues at most net.unix.max_dgram_qlen datagrams (default 10, systemd raises it to
  // 512) for an AF_UNIX datagram socket; MSG_DONTWAIT turns the full queue into EAGAIN.
  for (let i = 0; i < 100_000 && failure === undefined; i++) {
    try {
      transport.send(`WATCHDOG=1`);
    } catch (e) {
      failure = e;
    }
  }
  t.ok(failure, 'the queue filled up');
  t.equal(errnoOf((failure as { cause?: unknown }).cause), 'EAGAIN');
  t.match((failure as Error).message, /^sd_notify .*deaf: EAGAIN$/);
});
