/**
 * `pikvm-agent signal` (agent/cli/signal.ts) against the simulated PiKVM: what the worker kit's
 * power scripts ask. An unknown state is never an answer.
 */
import t from 'tap';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from '../../agent/cli/client';
import { UsageError } from '../../agent/cli/command';
import { parseSignalOptions, runSignal } from '../../agent/cli/signal';
import { startSimAgent } from '../helpers/sim-agent';

function io() {
  const out = { stdout: new PassThrough(), stderr: new PassThrough(), text: '', errors: '' };
  out.stdout.on('data', (d: Buffer) => (out.text += d.toString()));
  out.stderr.on('data', (d: Buffer) => (out.errors += d.toString()));
  return out;
}

t.test('options', async (t) => {
  t.same(parseSignalOptions({}), { expectOnline: true, waitMs: 0 });
  t.same(parseSignalOptions({ expect: 'off', wait: '2.5' }), { expectOnline: false, waitMs: 2500 });
  t.same(parseSignalOptions({ expect: 'on', wait: '600' }), { expectOnline: true, waitMs: 600_000 });
  for (const bad of [{ expect: 'down' }, { wait: '-1' }, { wait: '601' }, { wait: 'soon' }, { wait: '' }]) {
    t.throws(() => parseSignalOptions(bad), { constructor: UsageError, message: /must be/ }, JSON.stringify(bad));
  }
});

t.test('--expect on|off answers the state; a power switch that has answered is seen at once', async (t) => {
  const { socketPath } = await startSimAgent(t);
  const on = io();
  t.equal(await runSignal(socketPath, on, { expectOnline: true, waitMs: 0 }), 0);
  t.equal(on.text, 'signal\n');
  t.equal(await runSignal(socketPath, io(), { expectOnline: false, waitMs: 0 }), 1, 'on is not off');
  t.equal(await request(socketPath, 'sim power off'), 'ok {"powered":false}');
  const off = io();
  t.equal(await runSignal(socketPath, off, { expectOnline: false, waitMs: 0 }), 0, 'off, without waiting');
  t.equal(off.text, 'no signal\n');
  t.equal(await runSignal(socketPath, io(), { expectOnline: true, waitMs: 0 }), 1);
});

t.test('--wait: until the state comes, or the time is up', async (t) => {
  const { socketPath } = await startSimAgent(t);
  const later = new Promise((r) => setTimeout(r, 300)).then(() => request(socketPath, 'sim power off'));
  t.equal(await runSignal(socketPath, io(), { expectOnline: false, waitMs: 10_000 }), 0, 'the signal went while we waited');
  await later;
  t.equal(await request(socketPath, 'sim power on'), 'ok {"powered":true}');
  const stays = io();
  t.equal(await runSignal(socketPath, stays, { expectOnline: false, waitMs: 300 }), 1);
  t.match(stays.errors, /still a signal after 0\.3 s/);
});

t.test('an agent that cannot be asked is neither on nor off: exit 2', async (t) => {
  const { dir } = await startSimAgent(t);
  for (const expectOnline of [true, false]) {
    const gone = io();
    t.equal(await runSignal(path.join(dir, 'nothing.sock'), gone, { expectOnline, waitMs: 200 }), 2);
    t.equal(gone.text, '', 'no state printed');
    t.match(gone.errors, /cannot connect to the agent's control socket/);
  }
});
