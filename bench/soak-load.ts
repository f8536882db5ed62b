/**
 * The load generator of bench/soak.ts, run as a child process so that driving 1,000 sockets does
 * not delay the measuring client's timers. One load per process:
 *   node soak-load.js <kind> <count> <seconds> <control socket> <http port>
 * It opens `count` clients in batches, keeps them for `seconds`, closes them all and sends the
 * parent one LoadReport over IPC. Loopback only; every timer stops with the load.
 */
import http from 'node:http';
import net from 'node:net';

export type LoadKind = 'idle' | 'control-no-read' | 'stream-no-read' | 'slowloris' | 'stream-read';

export interface LoadReport {
  kind: LoadKind;
  /** Clients started. */
  started: number;
  /** Clients the daemon turned away: `error: busy`, an HTTP status other than 200, or closed/reset before the load ended. */
  refused: number;
  /** How they were turned away, e.g. { busy: 136, 'http 503': 4, closed: 2 }. */
  refusals: Record<string, number>;
  /** stream-read: bytes received by all clients together. */
  bytesRead: number;
}

const HOST = '127.0.0.1';
const BATCH = 50;
/** Time a new control client listens for `error: busy` before it stops reading for good. */
const BUSY_WINDOW_MS = 300;
/** Stop queueing `status` lines on a client once this much is waiting in its send buffer. */
const MAX_QUEUED_BYTES = 1 << 20;
/** The partial header a slowloris client dribbles, one byte per SLOW_BYTE_MS, never ending it. */
const SLOW_HEADER = 'GET /frame.ppm HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
const SLOW_BYTE_MS = 1000;

class Tally {
  readonly refusals: Record<string, number> = {};
  refused = 0;
  bytesRead = 0;
  private ending = false;
  /** Count one refusal per client, unless it happens while we tear the load down. */
  refuse(client: object, why: string): void {
    if (this.ending || refusedClients.has(client)) return;
    refusedClients.add(client);
    this.refused++;
    this.refusals[why] = (this.refusals[why] ?? 0) + 1;
  }
  end(): void {
    this.ending = true;
  }
}
const refusedClients = new WeakSet<object>();

/** What the load keeps of a client: a way to close it. */
interface Client {
  destroy(): void;
}

/** (a) A control client that queues `status` lines and never reads the replies. */
function controlNoRead(socketPath: string, tally: Tally, timers: Set<NodeJS.Timeout>): net.Socket {
  const socket = net.connect({ path: socketPath });
  socket.on('error', (e: NodeJS.ErrnoException) => tally.refuse(socket, e.code ?? 'error'));
  socket.on('close', () => tally.refuse(socket, 'closed'));
  let first = '';
  const onData = (d: Buffer): void => {
    first += d.toString('utf8');
    if (first.startsWith('error: busy')) tally.refuse(socket, 'busy');
  };
  socket.on('data', onData);
  socket.on('connect', () => {
    const start = setTimeout(() => {
      timers.delete(start);
      socket.off('data', onData);
      socket.pause();
      const flood = setInterval(() => {
        if (socket.destroyed) return clearInterval(flood);
        while (socket.writableLength < MAX_QUEUED_BYTES) socket.write('status\n'.repeat(64));
      }, 100);
      timers.add(flood);
    }, BUSY_WINDOW_MS);
    timers.add(start);
  });
  return socket;
}

/** (b) and (d): GET /stream.nut?fps=2; `read` consumes the body, otherwise it is never read. */
function streamClient(port: number, read: boolean, tally: Tally): Client {
  const req = http.get({ host: HOST, port, path: '/stream.nut?fps=2', agent: false });
  req.on('error', (e: NodeJS.ErrnoException) => tally.refuse(req, e.code ?? 'error'));
  req.on('response', (res) => {
    if (res.statusCode !== 200) tally.refuse(req, `http ${res.statusCode}`);
    res.on('error', () => tally.refuse(req, 'closed'));
    res.on('close', () => tally.refuse(req, 'closed'));
    if (read) res.on('data', (c: Buffer) => (tally.bytesRead += c.length));
    else res.pause();
  });
  return req;
}

/** (c) A connection that sends a request header one byte a second and never finishes it. */
function slowloris(port: number, tally: Tally, timers: Set<NodeJS.Timeout>): net.Socket {
  const socket = net.connect({ host: HOST, port });
  socket.on('error', (e: NodeJS.ErrnoException) => tally.refuse(socket, e.code ?? 'error'));
  socket.on('close', () => tally.refuse(socket, 'closed'));
  socket.on('data', (d: Buffer) => {
    const status = /^HTTP\/1\.1 (\d+)/.exec(d.toString('latin1'));
    tally.refuse(socket, status ? `http ${status[1]}` : 'closed');
  });
  let sent = 0;
  socket.on('connect', () => {
    const drip = setInterval(() => {
      if (socket.destroyed) return clearInterval(drip);
      socket.write(sent < SLOW_HEADER.length ? SLOW_HEADER[sent]! : 'a');
      sent++;
    }, SLOW_BYTE_MS);
    timers.add(drip);
  });
  return socket;
}

async function main(): Promise<void> {
  const [kind, countText, secondsText, socketPath, portText] = process.argv.slice(2) as [LoadKind, string, string, string, string];
  const count = Number(countText);
  const seconds = Number(secondsText);
  const port = Number(portText);
  const tally = new Tally();
  const timers = new Set<NodeJS.Timeout>();
  const clients: Client[] = [];
  const startClient = (): Client => {
    switch (kind) {
      case 'idle': throw new Error('the idle load has no clients');
      case 'control-no-read': return controlNoRead(socketPath, tally, timers);
      case 'stream-no-read': return streamClient(port, false, tally);
      case 'stream-read': return streamClient(port, true, tally);
      case 'slowloris': return slowloris(port, tally, timers);
    }
  };
  const deadline = Date.now() + seconds * 1000;
  // Batches with a pause between them: the listen backlog (511 by default) is not what is measured.
  for (let i = 0; i < count && Date.now() < deadline; i += BATCH) {
    for (let j = i; j < Math.min(count, i + BATCH); j++) clients.push(startClient());
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  tally.end();
  for (const t of timers) clearTimeout(t);
  for (const c of clients) c.destroy();
  const report: LoadReport = { kind, started: clients.length, refused: tally.refused, refusals: tally.refusals, bytesRead: tally.bytesRead };
  process.send!(report, () => process.exit(0));
}

void main();
