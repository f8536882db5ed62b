/**
 * Thousands of idle control connections against the real daemon under the unit's LimitNOFILE.
 * Found: with no cap, 4,200 idle connections used up the daemon's 4,096 descriptors; new clients
 * were reset and a key on an old connection failed with EMFILE writing lease.json. Now at most
 * `control.max_connections` (default 64) are served; every other client gets `error: busy …` and
 * is closed at once.
 *
 * The test process holds the 4,200 client ends itself: it needs a descriptor limit above that
 * (Node raises its soft limit to the hard one at start; the hard limit is usually far higher).
 */
import t from 'tap';
import net from 'node:net';
import { connectControl } from '../../agent/cli/client';
import { exchange, LineClient } from '../helpers/socket-client';
import { openFds, orAfter, spawnDaemon, unitLimits } from '../helpers/unit-limited-daemon';

const FLOOD = 4200;
const BATCH = 100;
const DEFAULT_MAX_CONNECTIONS = 64;

interface Flooder {
  socket: net.Socket;
  /** The first line the daemon sent, '' if none; 'reset' if the connection failed. */
  outcome: Promise<string>;
}

/**
 * Connect and keep the connection open, sending nothing; record what the daemon says. Connecting
 * retries while the listen backlog is full (EAGAIN), as every client of the agent does.
 */
async function idleClient(socketPath: string): Promise<Flooder> {
  const socket = await connectControl(socketPath);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  const outcome = new Promise<string>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(`reset ${e.code}`));
    socket.on('end', () => resolve(text));
  });
  return { socket, outcome };
}

t.test(`${FLOOD} idle connections: the cap refuses the excess, served clients keep working`, async (t) => {
  t.ok(FLOOD > unitLimits().maxFiles, 'the flood exceeds the unit\'s descriptor limit');
  const daemon = await spawnDaemon(t);
  const early = await LineClient.connect(daemon.socketPath);
  t.teardown(() => early.close());
  t.equal(await early.send('ping'), 'ok');

  const flood: Flooder[] = [];
  t.teardown(() => flood.forEach((f) => f.socket.destroy()));
  for (let i = 0; i < FLOOD; i += BATCH) {
    flood.push(...(await Promise.all(Array.from({ length: BATCH }, () => idleClient(daemon.socketPath)))));
  }
  // Served clients, refused ones still being drained (as many again), and the daemon's own.
  t.ok((await openFds(daemon.pid)) < 2 * DEFAULT_MAX_CONNECTIONS + 100, 'the daemon holds descriptors for the served clients only');

  t.equal(await early.send('a'), 'ok', 'a key on a connection opened before the flood (the lease file is written)');
  const late = await idleClient(daemon.socketPath);
  t.equal(await orAfter(late.outcome, 10_000, '(still open after 10 s)'), `error: busy ${DEFAULT_MAX_CONNECTIONS} control connections are open (control.max_connections); try again later\n`, 'a new client is told why, not reset');
  late.socket.destroy();

  const served = flood.slice(0, DEFAULT_MAX_CONNECTIONS - 1);
  const refused = flood.slice(DEFAULT_MAX_CONNECTIONS - 1);
  const outcomes = await orAfter(Promise.all(refused.map((f) => f.outcome)), 10_000, ['(still open after 10 s)']);
  t.same(outcomes.filter((o) => !o.startsWith('error: busy ')).slice(0, 3), [], 'every client over the cap got one busy line');
  t.ok(outcomes.every((o) => o.split('\n').length === 2), 'and nothing else');

  for (const f of served) f.socket.destroy();
  await new Promise((r) => setTimeout(r, 200));
  t.same(await exchange(daemon.socketPath, 'ping\n'), ['ok'], 'slots freed by closed clients serve new ones');
  t.same(await exchange(daemon.socketPath, 'sim text\n'), ['ok "a"'], 'the key reached the host');
  t.match(daemon.log(), /control connection limit reached; refusing new clients max_connections=64/);
});
