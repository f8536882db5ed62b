/**
 * The nginx add-on, with Debian's real nginx: `nginx -t` accepts it inside a server {} that mimics
 * kvmd's (server-wide auth_request to a stand-in auth service), and live requests through nginx reach
 * a stand-in agent (express with the real kickstart router) on a unix socket.
 */
import express from 'express';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SCHEMA } from '../../../agent/config/schema';
import { SYSTEM_PATHS } from '../../../agent/platform/paths';
import { get } from '../kickstart/fixtures/http';
import { kickstartApp } from '../kickstart/fixtures/http';
import { makeKsDir } from '../kickstart/fixtures/ks-dir';
import { requireProgram, run, spawn } from './fixtures/tools';

const REPO = path.resolve(__dirname, '../../..');
const ADDON = readFileSync(path.join(REPO, 'nginx', 'nginx.ctx-server.conf'), 'utf8');
const SHIPPED_SOCKET = path.join(SYSTEM_PATHS.runDir, 'http.sock');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function listenUnix(server: http.Server, socketPath: string): Promise<void> {
  return new Promise((resolve) =>
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o666);
      resolve();
    }),
  );
}

/** A test nginx.conf: kvmd-like server with a stand-in auth check and the add-on included. */
function nginxConf(dir: string, port: number, authSocket: string, addonFile: string): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
	access_log off;
	client_max_body_size 4k;
	client_body_temp_path ${dir}/client_body;
	proxy_temp_path ${dir}/proxy;
	fastcgi_temp_path ${dir}/fastcgi;
	uwsgi_temp_path ${dir}/uwsgi;
	scgi_temp_path ${dir}/scgi;
	server {
		listen 127.0.0.1:${port};
		# as kvmd.ctx-server.conf: every location is behind auth unless it says otherwise
		auth_request /auth_check;
		location = /auth_check {
			internal;
			proxy_pass http://unix:${authSocket}:/auth/check;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			auth_request off;
		}
		location / {
			return 200 "kvmd web ui\\n";
		}
		include ${addonFile};
	}
}
`;
}

async function waitForPort(port: number, boundMs: number): Promise<void> {
  const end = Date.now() + boundMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nginx did not listen on ${port} within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nginx-addon-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ks = makeKsDir();
  t.teardown(ks.cleanup);

  // Stand-in auth service: yes only with the right header (nginx forwards the client's headers).
  const authSocket = path.join(dir, 'auth.sock');
  const authCalls: string[] = [];
  const auth = http.createServer((req, res) => {
    authCalls.push(String(req.headers['x-original-uri'] ?? req.url));
    res.statusCode = req.headers['x-test-auth'] === 'letmein' ? 200 : 401;
    res.end();
  });
  await listenUnix(auth, authSocket);
  t.teardown(() => auth.close());

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

  const addonFile = path.join(dir, 'addon.conf');
  writeFileSync(addonFile, ADDON.split(SHIPPED_SOCKET).join(agentSocket));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, authSocket, addonFile));

  const check = run(nginx, ['-t', '-p', dir, '-e', 'stderr', '-c', conf]);
  t.equal(check.status, 0, `nginx -t: ${check.stderr}`);
  t.match(check.stderr, /test is successful/);

  const proc = spawn(nginx, ['-p', dir, '-e', 'stderr', '-c', conf, '-g', 'daemon off; master_process on;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let nginxLog = '';
  proc.stderr!.on('data', (c: Buffer) => (nginxLog += c.toString()));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
  await waitForPort(port, 15_000);

  // Kickstart: no credentials, rendered by the agent, facts from nginx's headers.
  const ksReply = await get({ port }, '/ks.cfg');
  t.equal(ksReply.status, 200, nginxLog);
  t.match(ksReply.body, new RegExp(`# fetched by 127\\.0\\.0\\.1 from 127\\.0\\.0\\.1:${port}\\n`));
  t.equal(ksReply.headers['cache-control'], 'no-store');
  const named = await get({ port }, '/ks/fedora-40.cfg?hostname=sut-3');
  t.equal(named.body, 'lang en_US\nfedora sut-3\n');
  t.equal((await get({ port }, '/ks/absent.cfg')).status, 404);
  // nginx decodes and merges `..` first: this is `/outside/secret.cfg`, outside /ks/ altogether.
  const traversal = await get({ port }, '/ks/%2e%2e%2foutside%2fsecret.cfg');
  t.notMatch(traversal.body, /root password hash/);
  t.equal(traversal.body, 'kvmd web ui\n', 'it landed in kvmd\'s location /, not in the agent');
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
