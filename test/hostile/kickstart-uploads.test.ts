/**
 * A client floods `kickstart set` over the control socket (issue 11: 751 MiB went to the run
 * directory, RAM on a PiKVM, in 5 s). The whole agent over the simulated PiKVM, real Unix socket.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startSimAgent } from '../helpers/sim-agent';
import { exchange, LineClient } from '../helpers/socket-client';

const LIMITS = ['kickstart.max_template_bytes=2048', 'kickstart.max_uploads=4', 'kickstart.max_upload_bytes=4096'];

async function uploads(dir: string): Promise<{ names: string[]; bytes: number }> {
  const uploadDir = path.join(dir, 'run', 'kickstart');
  const names = (await fs.readdir(uploadDir)).sort();
  let bytes = 0;
  for (const name of names) bytes += (await fs.stat(path.join(uploadDir, name))).size;
  return { names, bytes };
}

t.test('a flood of distinct templates stops at the bounds, one reply each, nothing partial', async (t) => {
  const { socketPath, dir } = await startSimAgent(t, LIMITS);
  const body = `${'x'.repeat(799)}\n`; // 800 bytes a template
  let payload = '';
  for (let i = 0; i < 300; i++) payload += `kickstart set flood-${i}\n${body}.\n`;
  payload += 'ping\n';
  const replies = await exchange(socketPath, payload);
  t.equal(replies.length, 301, 'one reply per command');
  t.same(replies.slice(0, 4), ['ok', 'ok', 'ok', 'ok'], 'the first four fit');
  t.match(replies[4], /^error: no-space 4 uploaded templates, the limit \(kickstart\.max_uploads\) is 4; /);
  t.equal(new Set(replies.slice(4, 300)).size, 1, 'every later one gets the same refusal');
  t.equal(replies[300], 'ok', 'the connection still works');
  const stored = await uploads(dir);
  t.same(stored.names, ['flood-0.cfg', 'flood-1.cfg', 'flood-2.cfg', 'flood-3.cfg']);
  t.ok(stored.bytes <= 4096, `the upload directory holds ${stored.bytes} bytes`);
});

t.test('over-size and over-total uploads: the body is consumed up to ".", the old template stays', async (t) => {
  const { socketPath, dir } = await startSimAgent(t, LIMITS);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  const set = (name: string, lines: string[]) => c.send(`kickstart set ${name}\n${[...lines, '.'].join('\n')}`);
  t.equal(await set('job', ['url --url=http://mirror/os', '%post', 'echo {{ client_addr }}', '%end']), 'ok');
  const huge = Array.from({ length: 40 }, (_, i) => `# line ${i} ${'y'.repeat(60)}`);
  t.equal(await set('job', huge), 'error: too-long the body exceeds 2048 bytes (kickstart.max_template_bytes)');
  t.equal(await c.send('ping'), 'ok', 'the lines after the over-size were not taken as commands');
  t.equal(await c.send('kickstart list'), 'ok ["job"]');
  t.equal(await fs.readFile(path.join(dir, 'run', 'kickstart', 'job.cfg'), 'utf8'), 'url --url=http://mirror/os\n%post\necho {{ client_addr }}\n%end\n');

  const big = ['z'.repeat(2039)]; // 2040 bytes with its newline
  t.equal(await set('a', big), 'ok');
  t.match(await set('b', big), /^error: no-space template b \(2040 bytes\) would make the uploads \d+ bytes, the limit \(kickstart\.max_upload_bytes\) is 4096; /);
  t.equal(await c.send('kickstart delete a'), 'ok');
  t.equal(await set('b', big), 'ok', 'a delete makes room');
  t.equal(await c.send('kickstart delete a'), 'error: not-found no uploaded kickstart template "a"');
  for (const name of (await uploads(dir)).names) {
    t.equal((await fs.stat(path.join(dir, 'run', 'kickstart', name))).mode & 0o777, 0o640, `${name} is 0640`);
  }
});
