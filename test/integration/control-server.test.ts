import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { ControlServer } from '../../agent/control/server';
import { Dispatcher, type InputPort } from '../../agent/control/dispatcher';
import { ControlSessions } from '../../agent/control/sessions';
import { recordingLogger, silentLogger } from '../../agent/log';
import { AgentError } from '../../agent/errors';
import { exchange, LineClient } from '../helpers/socket-client';

/** Keys; `slow` takes 400 ms (a command still running). */
function stubInput() {
  const calls: string[] = [];
  const input: InputPort = {
    key: async (c) => {
      calls.push(`key ${c}`);
      if (c === 'bogus') throw new AgentError('unknown-key', 'unknown key "bogus"');
      if (c === 'slow') await new Promise((r) => setTimeout(r, 400));
    },
    typeText: async (s) => { calls.push(`type ${s}`); },
    pointerMove: async (x, y, space) => { calls.push(`move ${x} ${y} in ${space.width}x${space.height}`); },
    pointerButtons: async (m) => { calls.push(`buttons ${m}`); },
    wheel: async (d) => { calls.push(`wheel ${d}`); },
    releaseAll: async () => { calls.push('release'); },
  };
  return { input, calls };
}

const LIMITS = { maxLine: 4096, maxConnections: 64, lineTimeoutMs: 60_000, idleTimeoutMs: 0 };

interface ServerSetup extends Partial<typeof LIMITS> {
  kickstartSet?: (name: string, body: string) => Promise<void>;
  /** What `status` answers. */
  status?: () => unknown;
}

async function startServer(t: Test, setup: ServerSetup = {}) {
  const { kickstartSet, status, ...limits } = setup;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-ctl-'));
  const socketPath = path.join(dir, 'run', 'control.sock');
  const { input, calls } = stubInput();
  const dispatcher = new Dispatcher({
    input,
    gadget: { reconnect: async () => undefined },
    storage: { attach: async () => undefined, eject: async () => undefined, status: async () => [] },
    status: async () => (status ? status() : { ok: true }),
    kickstart: { set: kickstartSet ?? (async () => undefined), list: async () => ['ks'], delete: async () => undefined },
    sessions: new ControlSessions({ width: 1024, height: 768 }),
    logger: silentLogger,
  });
  const logger = recordingLogger('control');
  const server = new ControlServer(dispatcher, { socketPath, mode: 0o660, group: '', ...LIMITS, ...limits }, logger);
  await server.start();
  t.teardown(async () => {
    await server.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return { server, socketPath, calls, dir, logger };
}

t.test('one reply per line, in order, with CRLF; a final line without its newline is refused, not run', async (t) => {
  const { socketPath, calls, logger } = await startServer(t);
  const replies = await exchange(socketPath, 'a\r\nbogus\nmouse_move 1 2\r\n\nstatus\ntype rm -rf /srv/o');
  t.same(replies, [
    'ok',
    'error: unknown-key unknown key "bogus"',
    'ok',
    'error: bad-command empty line',
    'ok {"ok":true}',
    'error: bad-command incomplete line: the input ended after 18 bytes without a newline; not executed',
  ]);
  t.notOk(calls.some((c) => c.startsWith('type')), 'the cut line was not typed');
  t.match(logger.records.filter((r) => r.level === 'warn'), [{ level: 'warn', message: 'unfinished input not executed', fields: { reason: 'eof', bytes: 18, start: 'type rm -rf /srv/o' } }]);
});

t.test('screen W H is the connection\'s own coordinate space, forgotten when it closes', async (t) => {
  const { socketPath, calls } = await startServer(t);
  const a = await LineClient.connect(socketPath);
  const b = await LineClient.connect(socketPath);
  t.teardown(() => b.close());
  t.equal(await a.send('screen'), 'ok {"width":1024,"height":768}', 'hid.screen_width×hid.screen_height to start with');
  t.equal(await a.send('screen 1920 1080'), 'ok');
  t.equal(await a.send('screen'), 'ok {"width":1920,"height":1080}');
  t.equal(await a.send('mouse_move 5 6'), 'ok');
  t.equal(await b.send('mouse_move 5 6'), 'ok');
  t.equal(await b.send('screen'), 'ok {"width":1024,"height":768}', 'another connection keeps its own');
  t.same(calls.filter((c) => c.startsWith('move')), ['move 5 6 in 1920x1080', 'move 5 6 in 1024x768']);
  // Bounds: one reply each, nothing changed, the connection stays usable.
  const refused = await exchange(socketPath, 'screen 15 768\nscreen 1024 8193\nscreen 1024\nscreen 1024 768 1\nscreen -1 768\nscreen\n');
  t.match(refused, [/^error: bad-argument a coordinate space is at least 16x16/, /^error: bad-argument HEIGHT must be at most 8192/,
    /^error: bad-command usage: screen/, /^error: bad-command usage: screen/, /^error: bad-argument WIDTH must be a non-negative integer/,
    'ok {"width":1024,"height":768}']);
  t.equal(refused.length, 6);
  a.close();
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.equal(await c.send('screen'), 'ok {"width":1024,"height":768}', 'a new connection starts from the default again');
});

t.test('overlong lines answer too-long and keep the connection', async (t) => {
  const { socketPath } = await startServer(t, { maxLine: 64 });
  const replies = await exchange(socketPath, `${'x'.repeat(65)}\na\n${'y'.repeat(100_000)}\nb\n`);
  t.equal(replies.length, 4);
  t.match(replies[0], /^error: too-long line of 65 bytes exceeds the limit of 64 bytes$/);
  t.equal(replies[1], 'ok');
  t.match(replies[2], /^error: too-long /);
  t.equal(replies[3], 'ok');
});

t.test('the socket is 0660, a stale socket is replaced, a live one is not stolen', async (t) => {
  const { socketPath, server } = await startServer(t);
  const st = await fs.stat(socketPath);
  t.equal(st.mode & 0o777, 0o660);

  const second = new ControlServer({} as Dispatcher, { socketPath, mode: 0o660, group: '', ...LIMITS }, silentLogger);
  await t.rejects(second.start(), { code: 'busy' });

  // A crashed (kill -9) daemon leaves its socket file behind with nobody listening.
  await server.stop();
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`]);
  await once(child.stdout!, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.ok((await fs.lstat(socketPath)).isSocket(), 'the stale socket file is still there');
  await t.resolves(server.start());
  t.same(await exchange(socketPath, 'ping\n'), ['ok']);
});

t.test('a client that disconnects gets its buttons released', async (t) => {
  const { socketPath, calls } = await startServer(t);
  const client = await LineClient.connect(socketPath);
  t.equal(await client.send('mouse_button 1'), 'ok');
  client.close();
  await new Promise((r) => setTimeout(r, 50));
  t.same(calls, ['buttons 1', 'release']);
});

t.test('pipelined lines from two clients are each answered in order', async (t) => {
  const { socketPath } = await startServer(t);
  const lines = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? 'bogus' : `mouse_move ${i} ${i}`));
  const expected = lines.map((l) => (l === 'bogus' ? 'error: unknown-key unknown key "bogus"' : 'ok'));
  const [a, b] = await Promise.all([exchange(socketPath, lines.join('\n') + '\n'), exchange(socketPath, lines.join('\n') + '\n')]);
  t.same(a, expected);
  t.same(b, expected);
});

t.test('a reply is sent for a line whose client half-closed immediately', async (t) => {
  const { socketPath } = await startServer(t);
  const s = net.connect({ path: socketPath, allowHalfOpen: true });
  await once(s, 'connect');
  s.end('ping\n');
  const [data] = await once(s, 'data');
  t.equal(String(data), 'ok\n');
  s.destroy();
});

t.test('kickstart set: the body follows, dot-stuffed, and gets one reply after the "." line', async (t) => {
  const bodies: Array<[string, string]> = [];
  const { socketPath } = await startServer(t, { maxLine: 64, kickstartSet: async (name, body) => void bodies.push([name, body]) });
  const replies = await exchange(
    socketPath,
    'ping\nkickstart set job42\r\n# ks\r\n..hidden dot line\n\n%post\n.\nping\nkickstart set empty\n.\nkickstart list\n',
  );
  t.same(replies, ['ok', 'ok', 'ok', 'ok', 'ok ["ks"]']);
  t.same(bodies, [['job42', '# ks\n.hidden dot line\n\n%post\n'], ['empty', '']]);
});

t.test('a body with an overlong line is refused after its "." line; a body cut by EOF still gets a reply', async (t) => {
  const bodies: string[] = [];
  const { socketPath } = await startServer(t, { maxLine: 64, kickstartSet: async (name) => void bodies.push(name) });
  t.same((await exchange(socketPath, `kickstart set a\n${'x'.repeat(100)}\nfine\n.\nping\n`)).map((r) => r.split(' ').slice(0, 2).join(' ')), ['error: too-long', 'ok']);
  const cut = await exchange(socketPath, 'kickstart set b\nline\n');
  t.equal(cut.length, 1);
  t.match(cut[0], /^error: bad-command the input ended before/);
  const cutDot = await exchange(socketPath, 'kickstart set c\nline\n.');
  t.same(cutDot, ['error: bad-command the input ended before the body\'s terminating "." line (kickstart set c: nothing stored)'], 'a "." without its newline ends nothing');
  t.same(bodies, [], 'nothing was stored');
});

/** Resolves with everything received once the server has ended the connection. */
async function receivedUntilEnd(socket: net.Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  await once(socket, 'end');
  socket.destroy();
  return text;
}

async function connect(socketPath: string): Promise<net.Socket> {
  const socket = net.connect({ path: socketPath, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

t.test('a line started but not finished within control.line_timeout_s is refused and the connection closed', async (t) => {
  const { socketPath, calls } = await startServer(t, { lineTimeoutMs: 200 });
  const socket = await connect(socketPath);
  socket.write('a\ncmd rm -rf /srv/o');
  t.equal(
    await receivedUntilEnd(socket),
    'ok\nerror: timeout incomplete line: no newline within 0.2 s (control.line_timeout_s); not executed\n',
  );
  t.same(calls.filter((c) => c !== 'release'), ['key a'], 'the cut line was not typed');
});

t.test('silence between complete lines is not timed', async (t) => {
  const { socketPath } = await startServer(t, { lineTimeoutMs: 50 });
  const client = await LineClient.connect(socketPath);
  t.equal(await client.send('ping'), 'ok');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await client.send('ping'), 'ok', 'still open after six line timeouts of silence');
  client.close();
});

t.test('control.idle_timeout_s closes a silent connection, never one whose command still runs', async (t) => {
  const { socketPath } = await startServer(t, { idleTimeoutMs: 150 });
  const silent = await connect(socketPath);
  t.equal(await receivedUntilEnd(silent), '', 'closed without a line: no reply was owed');

  const busy = await connect(socketPath);
  busy.write('slow\n');
  const [reply] = await once(busy, 'data');
  t.equal(String(reply), 'ok\n', 'a 400 ms command outlived the 150 ms idle timeout');
  busy.destroy();

  const started = await connect(socketPath);
  started.write('typ');
  t.equal(await receivedUntilEnd(started), 'error: timeout incomplete line: nothing received for 0.15 s (control.idle_timeout_s); not executed\n');
});

t.test('over control.max_connections a client gets one busy line and is closed; a freed slot is reused', async (t) => {
  const { socketPath, logger } = await startServer(t, { maxConnections: 2 });
  const first = await LineClient.connect(socketPath);
  const second = await LineClient.connect(socketPath);
  t.equal(await first.send('ping'), 'ok');
  t.equal(await second.send('ping'), 'ok');
  const busy = 'error: busy 2 control connections are open (control.max_connections); try again later';
  for (let i = 0; i < 3; i++) {
    const refused = await connect(socketPath);
    t.equal(await receivedUntilEnd(refused), `${busy}\n`, 'a client that only reads');
    t.same(await exchange(socketPath, 'ping\nping\n'), [busy], 'a client that writes first reads the line too');
  }
  t.equal(logger.records.filter((r) => r.message.includes('connection limit')).length, 1, 'one log line for the flood');
  t.equal(await first.send('ping'), 'ok', 'the served clients are unaffected');
  first.close();
  await new Promise((r) => setTimeout(r, 50));
  t.same(await exchange(socketPath, 'ping\n'), ['ok'], 'the freed slot serves a new client');
  second.close();
});

t.test('a client that does not read its replies: execution stops at the bound; every line answered once it reads', async (t) => {
  let executed = 0;
  const reply = { pad: 'x'.repeat(1000) };
  const { socketPath } = await startServer(t, { status: () => (executed++, reply) });
  const lines = 5000;
  const socket = await connect(socketPath);
  socket.pause();
  socket.write('status\n'.repeat(lines));
  // Let the server run as far as it goes (unbounded, it would answer all 5,000 in this time).
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(executed < lines / 10, `only the replies that fit the bound and the socket buffers were produced (${executed})`);
  const text = await receivedUntilEnd((socket.end(), socket.resume(), socket));
  const replies = text.split('\n');
  t.equal(replies.pop(), '', 'ends with a newline');
  t.equal(replies.length, lines, 'one reply per line');
  t.ok(replies.every((r) => r === `ok ${JSON.stringify(reply)}`));
  t.equal(executed, lines);
});
