/**
 * Descriptor exhaustion (issue 11, item 3): 4,200 idle control connections once used every
 * descriptor the unit allows (LimitNOFILE), and the next key failed with EMFILE writing the lease
 * file. Here the daemon runs under a small limit and twice as many clients connect as it has
 * descriptors: the listeners refuse what is over their share, and the worker's connection still
 * takes the devices.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { exchange, LineClient } from '../helpers/socket-client';
import { tempDir } from '../helpers/temp-dir';
import { serve, waitForAnswer } from './fixtures/serve-process';

const OPEN_FILES = 256;
const FLOOD = 2 * OPEN_FILES;

interface FloodClient {
  socket: net.Socket;
  /** Answered its `ping` (the daemon kept it), or was closed / refused. */
  answered: boolean;
}

/** One flood connection, settled once the daemon answered it or hung up on it. */
function floodClient(socketPath: string): Promise<FloodClient> {
  const socket = net.connect({ path: socketPath });
  return new Promise((resolve) => {
    socket.on('error', () => resolve({ socket, answered: false }));
    socket.on('close', () => resolve({ socket, answered: false }));
    socket.once('data', () => resolve({ socket, answered: true }));
    socket.on('connect', () => socket.write('ping\n'));
  });
}

t.test(`${FLOOD} clients under a limit of ${OPEN_FILES} descriptors: a key still takes the devices and writes the lease`, { timeout: 120_000 }, async (t) => {
  const runDir = path.join(await tempDir(t, 'pikvm-agent-lifecycle-'), 'run');
  const socketPath = path.join(runDir, 'control.sock');
  const daemon = serve(t, runDir, ['--set', 'http.listen='], { openFiles: OPEN_FILES });
  await waitForAnswer(socketPath, daemon);
  const worker = await LineClient.connect(socketPath); // the worker's `input` connection, made before the flood
  t.teardown(() => worker.close());

  const flood = await Promise.all(Array.from({ length: FLOOD }, () => floodClient(socketPath)));
  t.teardown(() => flood.forEach((c) => c.socket.destroy()));
  const kept = flood.filter((c) => c.answered && !c.socket.destroyed).length;
  t.ok(kept > 0 && kept < FLOOD, `the daemon kept ${kept} of ${FLOOD} clients and hung up on the rest`);

  t.equal(await worker.send('ret'), 'ok', 'the key is typed: the devices were taken');
  const lease = JSON.parse(await fs.readFile(path.join(runDir, 'lease.json'), 'utf8')) as { phase: string };
  t.equal(lease.phase, 'held', 'the lease file was written');
  t.equal(await worker.send('release'), 'ok', 'and the devices go back');

  for (const c of flood) c.socket.destroy();
  await waitForAnswer(socketPath, daemon);
  t.same(await exchange(socketPath, 'ping\n'), ['ok'], 'once the flood is gone, new clients are served again');
  t.notMatch(daemon.stderr(), /EMFILE/, 'no descriptor ran out');
});
