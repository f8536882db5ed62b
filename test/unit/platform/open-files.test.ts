import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import t from 'tap';
import { openFileCount, openFileLimit, parseOpenFileLimit } from '../../../agent/platform/open-files';

t.test('the soft limit from /proc/PID/limits', async (t) => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             96367                96367                processes ',
    'Max open files            4096                 524288               files     ',
  ].join('\n');
  t.equal(parseOpenFileLimit(limits), 4096, 'the soft column, not the hard one');
  t.equal(parseOpenFileLimit(limits.replace('4096  ', 'unlimited')), null);
  t.equal(parseOpenFileLimit(''), null);
});

t.test('agrees with the shell and counts what is opened', async (t) => {
  // A child inherits the soft limit; bash prints it.
  t.equal(await openFileLimit(), Number(execFileSync('bash', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim()));
  const before = await openFileCount();
  const handle = await fs.open(__filename, 'r');
  t.equal(await openFileCount(), before + 1);
  await handle.close();
  t.equal(await openFileCount(), before);
});
