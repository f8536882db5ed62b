/**
 * The nginx add-on, with Debian's real nginx: `nginx -t` accepts it inside a server {} that mimics
 * kvmd's (server-wide auth_request to a stand-in auth service), and live requests through nginx reach
 * a stand-in agent (express with the real kickstart router) on a unix socket.
 */
import express from 'express';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import t from 'tap';
import { SCHEMA } from '../../../agent/config/schema';
import { get } from '../kickstart/fixtures/http';
import { kickstartApp } from '../kickstart/fixtures/http';
import { makeKsDir } from '../kickstart/fixtures/ks-dir';
import { ADDON, KVMD_UI_BODY, listenUnix, nginxDir, REPO, SHIPPED_SOCKET, startAuthStandIn, startNginx } from './fixtures/nginx';
import { requireProgram } from './fixtures/tools';

t.test('the add-on proxies to the socket the agent listens on by default', async (t) => {
  const derived = SCHEMA.http.unix_socket as unknown as { derive?: unknown };
  t.ok(derived, 'http.unix_socket exists in the schema');
  const sockets = [...ADDON.matchAll(/http:\/\/unix:([^:;\s]+)/g)].map((m) => m[1]);
  t.ok(sockets.length >= 4);
  t.same([...new Set(sockets)], [SHIPPED_SOCKET]);
});

t.test('auth_request off only on the kickstart locations', async (t) => {
  const code = ADDON.replace(/#.*$/gm, '');
  const blocks = [...code.matchAll(/location\s+([^{]+?)\s*\{([^}]*)\}/g)].map((m) => ({ where: m[1]!.trim(), body: m[2]! }));
  t.same(blocks.filter((b) => /auth_request\s+off/.test(b.body)).map((b) => b.where), ['= /ks.cfg', '/ks/']);
  const stream = blocks.find((b) => b.where.includes('stream'));
  t.match(stream?.body, /proxy_buffering off;/);
  t.match(stream?.body, /proxy_read_timeout 7d;/);
});

t.test('manifest.yaml names the service', async (t) => {
  const YAML = await import('yaml');
  const manifest = YAML.parse(readFileSync(path.join(REPO, 'nginx', 'manifest.yaml'), 'utf8')) as Record<string, unknown>;
  t.match(manifest, { name: 'pikvm-agent', daemon: 'pikvm-agent', path: 'agent/' });
});

t.test('real nginx: -t passes, kickstart without auth, /agent behind auth, streams unbuffered', async (t) => {
  const nginx = requireProgram(t, 'nginx');
  if (!nginx) return;
  const dir = nginxDir(t);
  const ks = makeKsDir();
  t.teardown(ks.cleanup);
  const auth = await startAuthStandIn(t, dir);
  const authCalls = auth.calls;

  // Stand-in agent: the real kickstart router plus a status page and a stream.
  const agentSocket = path.join(dir, 'http.sock');
  const agent = kickstartApp(ks.dir);
  const seen: string[] = [];
  let releaseStream: () => void = () => undefined;
  const streamGate = new Promise<void>((resolve) => (releaseStream = resolve));
  const extra = express.Router();
  extra.get('/status', (req, res) => {
    seen.push(req.url);
    res.json({ ok: true, path: req.url });
  });
  extra.get('/stream.test', async (_req, res) => {
    seen.push('/stream.test');
    res.write('first-chunk\n');
    await streamGate; // released only once the client has read the first chunk through nginx
    res.end('last-chunk\n');
  });
  agent.app.use(extra);
  await listenUnix(agent.server, agentSocket);
  t.teardown(() => agent.server.close());

  const { port, log } = await startNginx(t, nginx, dir, auth.socket, agentSocket);

  // Kickstart: no credentials, rendered by the agent, facts from nginx's headers.
  const ksReply = await get({ port }, '/ks.cfg');
  t.equal(ksReply.status, 200, log());
  t.match(ksReply.body, new RegExp(`# fetched by 127\\.0\\.0\\.1 from 127\\.0\\.0\\.1:${port}\\n`));
  t.equal(ksReply.headers['cache-control'], 'no-store');
  const named = await get({ port }, '/ks/fedora-40.cfg?hostname=sut-3');
  t.equal(named.body, 'lang en_US\nfedora sut-3\n');
  t.equal((await get({ port }, '/ks/absent.cfg')).status, 404);
  // nginx decodes and merges `..` first: this is `/outside/secret.cfg`, outside /ks/ altogether.
  const traversal = await get({ port }, '/ks/%2e%2e%2foutside%2fsecret.cfg');
  t.notMatch(traversal.body, /root password hash/);
  t.equal(traversal.body, KVMD_UI_BODY, 'it landed in kvmd\'s location /, not in the agent');
  t.equal((await get({ port }, '/ks/..%2f..%2fetc%2fpasswd.cfg')).status, 400, 'nginx refuses a path above the root');
  t.equal((await get({ port }, '/ks/a%2fb.cfg')).status, 404, 'an encoded slash reaches the agent, which refuses the name');
  t.same(authCalls, [], 'kickstart fetches never asked the auth service');
  t.same(agent.fetchLog.entries().slice(0, 2).map((e) => [e.template, e.status, e.client]), [
    ['ks', 200, '127.0.0.1'],
    ['fedora-40', 200, '127.0.0.1'],
  ]);
  const post = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/ks.cfg' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('x');
  });
  t.equal(post, 403, 'installers may only GET');

  // /agent/: refused when the auth stand-in says no; the agent never sees the request.
  const refused = await get({ port }, '/agent/status');
  t.equal(refused.status, 401);
  t.same(seen, []);
  t.ok(authCalls.length > 0, 'the auth service was asked');
  const allowed = await get({ port }, '/agent/status?x=1', { 'X-Test-Auth': 'letmein' });
  t.equal(allowed.status, 200);
  t.same(JSON.parse(allowed.body), { ok: true, path: '/status?x=1' }, '/agent/ prefix stripped');
  t.equal((await get({ port }, '/agent')).status, 301);

  // Streams: the first chunk arrives while the agent still holds the response open.
  t.equal((await get({ port }, '/agent/stream.test')).status, 401);
  const streamed = await new Promise<string[]>((resolve, reject) => {
    const chunks: string[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: '/agent/stream.test', headers: { 'X-Test-Auth': 'letmein' }, timeout: 10_000 }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        chunks.push(c);
        if (c.includes('first-chunk')) releaseStream();
      });
      res.on('end', () => resolve(chunks));
    });
    req.on('timeout', () => req.destroy(new Error('stream did not pass through nginx unbuffered')));
    req.on('error', reject);
  });
  t.same(streamed.join(''), 'first-chunk\nlast-chunk\n');
  t.ok(streamed[0]!.startsWith('first-chunk') && !streamed[0]!.includes('last-chunk'), 'the first chunk came on its own');
});
