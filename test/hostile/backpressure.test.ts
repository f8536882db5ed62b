/**
 * A client that pipelines thousands of commands and never reads the replies, against the real
 * daemon under the unit's limits. Found: the replies were buffered without limit (140,000 `status`
 * lines, 1 MB in 3 s, ran the daemon out of JavaScript heap; without the heap cap RSS went from 107
 * to 588 MB and stayed). Now the connection stops executing and reading while its unsent replies
 * exceed a bound, and resumes when the client reads.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { exchange } from '../helpers/socket-client';
import { procStatusKb, spawnDaemon } from '../helpers/unit-limited-daemon';

const LINES = 20_000;
/** What the daemon may grow by while it serves this client (measured: about 12 MB; unbounded: over 100 MB). */
const GROWTH_BOUND_KB = 40 * 1024;

t.test(`${LINES} status lines from a client that does not read: memory stays bounded, every line is answered`, async (t) => {
  const daemon = await spawnDaemon(t);
  t.same(await exchange(daemon.socketPath, 'status\n').then((r) => r.map((l) => l.slice(0, 3))), ['ok '], 'warmed up');
  const baselineKb = await procStatusKb(daemon.pid, 'VmRSS');

  const hostile = net.connect({ path: daemon.socketPath, allowHalfOpen: true });
  await once(hostile, 'connect');
  hostile.pause();
  hostile.write('status\n'.repeat(LINES));
  // The daemon meanwhile runs as far as the client lets it (unbounded, it would answer thousands).
  await new Promise((r) => setTimeout(r, 1500));
  t.same(await exchange(daemon.socketPath, 'ping\n'), ['ok'], 'other clients are served meanwhile');

  let replies = 0;
  let partial = '';
  const wrong: string[] = [];
  hostile.setEncoding('utf8');
  hostile.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    replies += lines.length;
    for (const line of lines) if (!line.startsWith('ok {') && wrong.length < 3) wrong.push(line.slice(0, 100));
  });
  hostile.end();
  hostile.resume();
  await once(hostile, 'end');
  hostile.destroy();
  t.equal(replies, LINES, 'one reply per line, none lost to the pauses');
  t.equal(partial, '', 'the last reply is complete');
  t.same(wrong, [], 'every reply is the status');

  const peakKb = await procStatusKb(daemon.pid, 'VmHWM');
  t.ok(peakKb - baselineKb < GROWTH_BOUND_KB, `peak RSS ${peakKb} kB is within ${GROWTH_BOUND_KB} kB of ${baselineKb} kB`);
});
