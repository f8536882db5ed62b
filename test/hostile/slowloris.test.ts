/**
 * HTTP slowloris (issue 11, item 2): 4,200 connections that send a request a byte at a time, or
 * nothing at all, once held every descriptor. Now headers must arrive within
 * `http.headers_timeout_s` (which also ends connections that never send a byte), while a stream,
 * a response that lasts, outlives `http.request_timeout_s`.
 */
import net from 'node:net';
import t from 'tap';
import { freePort } from './fixtures/serve-process';
import { orAfter, spawnDaemon } from '../helpers/unit-limited-daemon';

const SLOW = 50;

/** Resolves with true once the daemon closes the connection. */
function closedByDaemon(socket: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(true));
    socket.resume();
  });
}

t.test(`${SLOW} silent and ${SLOW} half-sent requests are closed after headers_timeout_s; a stream lasts`, { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  await spawnDaemon(t, [`http.listen=127.0.0.1:${port}`, 'http.headers_timeout_s=1', 'http.request_timeout_s=1']);

  const stream = net.connect({ port, host: '127.0.0.1' });
  stream.write('GET /stream.ppm?fps=5 HTTP/1.1\r\nHost: x\r\n\r\n');
  let streamed = 0;
  stream.on('data', (d: Buffer) => (streamed += d.length));
  const streamClosed = closedByDaemon(stream);
  t.teardown(() => stream.destroy());

  const silent = Array.from({ length: SLOW }, () => net.connect({ port, host: '127.0.0.1' }));
  const halfSent = Array.from({ length: SLOW }, () => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.write('GET /api/status HTTP/1.1\r\nHost: x\r\n'); // the blank line never comes
    return s;
  });
  const all = [...silent, ...halfSent];
  t.teardown(() => all.forEach((s) => s.destroy()));
  // Bounded wait: without the timeouts (Node's defaults: 60 s, 300 s) none would close in time.
  const closed = await Promise.all(all.map((s) => orAfter(closedByDaemon(s), 15_000, false)));
  t.equal(closed.filter((c, i) => c && i < SLOW).length, SLOW, 'every silent connection was closed');
  t.equal(closed.filter((c, i) => c && i >= SLOW).length, SLOW, 'every half-sent request was closed');

  const before = streamed;
  await new Promise((r) => setTimeout(r, 1500));
  t.ok(streamed > before, `the stream still delivers after request_timeout_s (${streamed} bytes)`);
  t.equal(await orAfter(streamClosed, 0, false), false, 'the stream was not cut');
});
