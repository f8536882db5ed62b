/** The HTTP listeners: both or neither, a cap on connections, and only our own socket removed. */
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { HttpServers } from '../../../agent/http/server';
import { silentLogger } from '../../../agent/log';
import { tempDir } from '../../helpers/temp-dir';

const TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5000 };
const hello: http.RequestListener = (_req, res) => res.end('hello');

t.test('the Unix socket taken: the TCP listener is closed again and the other socket left alone', async (t) => {
  const socketPath = path.join(await tempDir(t, 'http-server-'), 'http.sock');
  const squatter = net.createServer((s) => s.on('error', () => undefined).end());
  squatter.listen(socketPath);
  await once(squatter, 'listening');
  t.teardown(() => squatter.close());
  const servers = new HttpServers(hello, { listen: '127.0.0.1:0', unixSocket: socketPath, mode: 0o660, group: '', timeouts: TIMEOUTS }, silentLogger);
  await t.rejects(servers.start(), { code: 'busy', message: `http.unix_socket ${socketPath}: another process is already listening` });
  const port = servers.tcpPort!;
  const again = net.createServer().listen(port, '127.0.0.1');
  await once(again, 'listening');
  again.close();
  t.pass('the TCP port is free again');
  await servers.stop();
  t.ok(existsSync(socketPath), "stop() does not remove a socket that is not ours");
});

t.test('the TCP port taken: the error names the key, the address and the reason', async (t) => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const listen = `127.0.0.1:${(blocker.address() as net.AddressInfo).port}`;
  const servers = new HttpServers(hello, { listen, unixSocket: '', mode: 0o660, group: '', timeouts: TIMEOUTS }, silentLogger);
  await t.rejects(servers.start(), { code: 'busy', message: `http.listen ${listen}: address already in use (EADDRINUSE)` });
});

t.test('over the cap, a connection is closed as soon as it is accepted', async (t) => {
  const servers = new HttpServers(hello, { listen: '127.0.0.1:0', unixSocket: '', mode: 0o660, group: '', timeouts: TIMEOUTS }, silentLogger);
  servers.limitConnections(1);
  await servers.start();
  t.teardown(() => servers.stop());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const get = (options: http.RequestOptions) =>
    new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: servers.tcpPort!, path: '/', ...options }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d)).on('end', () => resolve(body));
      }).on('error', reject);
    });
  t.equal(await get({ agent }), 'hello', 'the first connection is served (and kept alive)');
  await t.rejects(get({ agent: false }), { code: 'ECONNRESET' }, 'a second one at the same time is hung up on');
  agent.destroy();
  // Once the first is gone, there is room again (the server notices the close asynchronously).
  for (;;) {
    const body = await get({ agent: false }).catch(() => null);
    if (body === 'hello') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.pass('a new connection is served once the first closed');
});
