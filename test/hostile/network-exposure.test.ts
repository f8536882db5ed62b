/**
 * Network exposure (issue 11): with `http.listen: 0.0.0.0:8780` anyone on the network got the live
 * screen, the status and the streams. Now a non-loopback address needs `http.token` /
 * `http.token_file` (or an explicit `http.public: true`); a token, once set, guards every route of
 * the TCP listener but the kickstart files; the Unix socket (behind nginx and kvmd's login) needs none.
 */
import http from 'node:http';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/temp-dir';
import { orAfter } from '../helpers/unit-limited-daemon';
import { freePort, serve, waitForAnswer } from './fixtures/serve-process';

const TOKEN = 'k3y-for.tests_only~';

function get(options: http.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

t.test('a non-loopback http.listen without a token is a configuration error naming the key', { timeout: 30_000 }, async (t) => {
  const runDir = path.join(await tempDir(t, 'pikvm-agent-exposure-'), 'run');
  // 192.0.2.1 (TEST-NET-1) is not ours: even an agent without the check would fail there, not serve.
  const daemon = serve(t, runDir, ['--set', `http.listen=192.0.2.1:${await freePort()}`]);
  const exit = await orAfter(daemon.exited, 20_000, { code: null, signal: null });
  t.equal(exit.code, 78, 'EX_CONFIG');
  t.match(daemon.stderr(), /http\.listen: 192\.0\.2\.1:\d+ is reachable from the network: set http\.token or http\.token_file/);
});

t.test('an unreadable http.token_file is a configuration error naming the file and the key', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t, 'pikvm-agent-exposure-');
  const missing = path.join(dir, 'no-token');
  const daemon = serve(t, path.join(dir, 'run'), ['--set', 'http.listen=', '--set', `http.token_file=${missing}`]);
  const exit = await orAfter(daemon.exited, 20_000, { code: null, signal: null });
  t.equal(exit.code, 78, 'EX_CONFIG');
  t.match(daemon.stderr(), `${missing}: http.token_file: cannot read`);
});

t.test('with http.token the TCP listener wants it (header or query) except for kickstart files; the Unix socket does not', { timeout: 60_000 }, async (t) => {
  const runDir = path.join(await tempDir(t, 'pikvm-agent-exposure-'), 'run');
  const port = await freePort();
  const daemon = serve(t, runDir, ['--set', `http.listen=127.0.0.1:${port}`, '--set', `http.token=${TOKEN}`]);
  await waitForAnswer(path.join(runDir, 'control.sock'), daemon);
  const tcp = (p: string, headers: http.OutgoingHttpHeaders = {}) => get({ host: '127.0.0.1', port, path: p, headers });

  for (const p of ['/api/status', '/frame.ppm', '/', '/api/signal']) t.equal(await tcp(p), 401, `${p} without the token: 401`);
  t.equal(await tcp('/api/status', { Authorization: 'Bearer wrong' }), 401, 'a wrong token: 401');
  t.equal(await tcp('/api/status?token=wrong'), 401, 'a wrong ?token=: 401');
  t.equal(await tcp('/api/status', { Authorization: `Bearer ${TOKEN}` }), 200, 'Authorization: Bearer TOKEN: 200');
  t.equal(await tcp(`/frame.ppm?token=${TOKEN}`), 200, '?token=TOKEN (for ffmpeg URLs): 200');
  t.not(await tcp('/ks.cfg'), 401, 'the kickstart file needs no token (installers cannot log in)');
  t.not(await tcp('/ks/other.cfg'), 401, 'nor a named one');
  t.equal(await get({ socketPath: path.join(runDir, 'http.sock'), path: '/api/status' }), 200, 'the Unix socket needs no token');
});
