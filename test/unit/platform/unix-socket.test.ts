/** Listening on a socket path: stale files replaced, live ones never stolen, all or nothing. */
import { existsSync, promises as fs } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { listenUnix } from '../../../agent/platform/unix-socket';
import { tempDir } from '../../helpers/temp-dir';

async function tempSocket(t: Test): Promise<string> {
  return path.join(await tempDir(t, 'unix-socket-'), 'sub', 'a.sock');
}

t.test('a live socket is never replaced; the error names the path', async (t) => {
  const file = await tempSocket(t);
  const live = net.createServer((s) => s.on('error', () => undefined).end());
  await listenUnix(live, file, { mode: 0o660, group: '' });
  t.teardown(() => live.close());
  t.equal((await fs.stat(file)).mode & 0o777, 0o660);
  const second = net.createServer();
  await t.rejects(listenUnix(second, file, { mode: 0o660, group: '' }), { code: 'busy', message: `${file}: another process is already listening` });
  t.notOk(second.listening);
  t.ok(existsSync(file), "the live socket's file is still there");
});

t.test('a failure after listening closes the server and removes the file again', async (t) => {
  const file = await tempSocket(t);
  const server = net.createServer();
  await t.rejects(listenUnix(server, file, { mode: 0o660, group: 'no-such-group-here' }), {
    code: 'not-found',
    message: `${file}: group "no-such-group-here" does not exist in /etc/group`,
  });
  t.notOk(server.listening, 'the server is closed');
  t.notOk(existsSync(file), 'the socket file is gone');
  // And the path is usable right away.
  await listenUnix(server, file, { mode: 0o600, group: '' });
  const client = net.connect(file);
  await once(client, 'connect');
  client.destroy();
  server.close();
});
