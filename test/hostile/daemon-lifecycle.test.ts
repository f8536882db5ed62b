/**
 * Sloppy starts (issue 11, items 6 and 7), against the compiled daemon: a second `serve` on a live
 * run directory, a start whose HTTP port or control socket is taken, and a start after the holder
 * was SIGKILLed. Start-up is all or nothing: the lock first, then every listener, then READY; a
 * failure leaves nothing behind and exits 1 with one line.
 */
import { promises as fs } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { exchange, LineClient } from '../helpers/socket-client';
import { tempDir } from '../helpers/temp-dir';
import { freePort, runDirEntries, serve, waitForAnswer } from './fixtures/serve-process';

/** The lines of a daemon's stderr that are not log records (log records start with a level). */
function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/^(DEBUG|INFO|WARN|ERROR) /.test(l));
}

t.test('a second serve on a live run directory exits 1 at once, names the holder, and touches nothing', { timeout: 60_000 }, async (t) => {
  const runDir = path.join(await tempDir(t, 'pikvm-agent-lifecycle-'), 'run');
  const socketPath = path.join(runDir, 'control.sock');
  const first = serve(t, runDir, ['--set', 'http.listen=']);
  await waitForAnswer(socketPath, first);
  const client = await LineClient.connect(socketPath);
  t.teardown(() => client.close());
  t.match(await client.send('acquire t1'), /^ok \{"state":"held","holder":"t1"/);
  const lease = await fs.readFile(path.join(runDir, 'lease.json'), 'utf8');

  const second = serve(t, runDir, ['--set', 'http.listen=']);
  const exit = await second.exited;
  t.same(exit, { code: 1, signal: null }, 'exit status 1');
  t.same(second.stderr().split('\n').filter(Boolean), [`pikvm-agent: another pikvm-agent (pid ${first.pid}) holds ${path.join(runDir, 'agent.lock')}`], 'exactly one line, naming the pid');

  t.equal(await fs.readFile(path.join(runDir, 'lease.json'), 'utf8'), lease, "the live lease file is intact");
  t.notMatch(first.stderr(), /previous run left devices taken/, 'no crash recovery ran against the live lease');
  t.equal(await client.send('ret'), 'ok', 'the first daemon still types');
  t.match(await client.send('status'), /"lease":\{"state":"held","holder":"t1"/, 'and still holds its lease');
  t.same(await exchange(socketPath, 'ping\n'), ['ok'], 'and accepts new clients on its socket');
});

t.test('the HTTP port taken: exit 1 with one line, no socket, no lease, no device taken', { timeout: 60_000 }, async (t) => {
  const runDir = path.join(await tempDir(t, 'pikvm-agent-lifecycle-'), 'run');
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;

  const daemon = serve(t, runDir, ['--http-listen', `127.0.0.1:${port}`]);
  const exit = await daemon.exited;
  t.same(exit, { code: 1, signal: null }, 'exit status 1 (78 is for configuration errors)');
  t.same(messageLines(daemon.stderr()), [`pikvm-agent: http.listen 127.0.0.1:${port}: address already in use (EADDRINUSE)`], 'one line naming what failed');
  t.notMatch(daemon.stderr(), /^\s+at /m, 'no stack trace');
  t.same(await runDirEntries(runDir), ['agent.lock'], 'no control socket, no HTTP socket, no lease file');
  t.notMatch(daemon.stderr(), /taking devices|MKDIR usb_gadget/, 'no device was taken');
});

t.test('the control socket taken by another program: exit 1, the HTTP listeners closed again, the foreign socket left alone', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t, 'pikvm-agent-lifecycle-');
  const runDir = path.join(dir, 'run');
  const foreign = path.join(dir, 'foreign.sock');
  // The daemon's liveness probe hangs up at once: the squatter ignores the resulting EPIPE.
  const squatter = net.createServer((s) => s.on('error', () => undefined).end('squatter\n')).listen(foreign);
  await once(squatter, 'listening');
  t.teardown(() => squatter.close());
  const port = await freePort();

  const daemon = serve(t, runDir, ['--http-listen', `127.0.0.1:${port}`, '--control-socket', foreign]);
  const exit = await daemon.exited;
  t.same(exit, { code: 1, signal: null }, 'exit status 1');
  t.same(messageLines(daemon.stderr()), [`pikvm-agent: control.socket ${foreign}: another process is already listening`], 'one line naming what failed');
  t.same(await runDirEntries(runDir), ['agent.lock'], 'the HTTP socket it had opened is removed, no lease file');
  const again = net.createServer().listen(port, '127.0.0.1');
  await once(again, 'listening');
  t.pass('the HTTP port it had bound is free again');
  again.close();
  t.same(await exchange(foreign, ''), ['squatter'], "the other program's socket still answers");
});

t.test('after the holder is SIGKILLed, the next start takes the lock and gives the devices back', { timeout: 60_000 }, async (t) => {
  const runDir = path.join(await tempDir(t, 'pikvm-agent-lifecycle-'), 'run');
  const socketPath = path.join(runDir, 'control.sock');
  const lockFile = path.join(runDir, 'agent.lock');
  const first = serve(t, runDir, ['--set', 'http.listen=']);
  await waitForAnswer(socketPath, first);
  t.equal(await fs.readFile(lockFile, 'utf8'), `${first.pid}\n`, 'the holder wrote its pid');
  t.match(await exchange(socketPath, 'acquire t1\n'), [/^ok \{"state":"held"/]);
  first.child.kill('SIGKILL');
  await first.exited;
  t.same(await runDirEntries(runDir), ['agent.lock', 'control.sock', 'http.sock', 'lease.json'], 'kill -9 leaves everything behind');

  const next = serve(t, runDir, ['--set', 'http.listen=']);
  await waitForAnswer(socketPath, next);
  t.equal(await fs.readFile(lockFile, 'utf8'), `${next.pid}\n`, 'the kernel released the lock; the next daemon holds it');
  t.match(next.stderr(), /a previous run left devices taken; giving them back holder=t1/, 'crash recovery ran');
  t.same(await runDirEntries(runDir), ['agent.lock', 'control.sock', 'http.sock'], 'the old lease is given back');
  t.match(await exchange(socketPath, 'status\n'), [/"lease":\{"state":"idle"/]);

  next.child.kill('SIGTERM');
  t.same(await next.exited, { code: 0, signal: null }, 'SIGTERM exits 0');
  t.equal(await fs.readFile(lockFile, 'utf8'), '', 'a clean stop clears the pid');
  t.same(await runDirEntries(runDir), ['agent.lock'], 'and removes its sockets');
});
