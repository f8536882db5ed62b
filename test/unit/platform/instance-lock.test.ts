/**
 * The run directory's lock with the real flock(2): two InstanceLocks on one file in this process
 * are two open file descriptions, which conflict exactly as two daemons do.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { isAgentError } from '../../../agent/errors';
import { errnoError } from '../../../agent/platform/errno';
import { InstanceLock } from '../../../agent/platform/instance-lock';
import { tempDir } from '../../helpers/temp-dir';

async function lockFile(t: Test): Promise<string> {
  return path.join(await tempDir(t, 'instance-lock-'), 'run', 'agent.lock');
}

t.test('one holder at a time; the second is told the pid and changes nothing', async (t) => {
  const file = await lockFile(t);
  const first = new InstanceLock(file);
  const second = new InstanceLock(file);
  await first.acquire();
  t.equal(await fs.readFile(file, 'utf8'), `${process.pid}\n`, 'the holder writes its pid (the directory is created)');
  await t.rejects(second.acquire(), { code: 'busy', message: `another pikvm-agent (pid ${process.pid}) holds ${file}` });
  t.equal(await fs.readFile(file, 'utf8'), `${process.pid}\n`, 'a refused instance does not truncate the pid');
  await first.release();
  t.equal(await fs.readFile(file, 'utf8'), '', 'release clears the pid');
  await second.acquire();
  await t.rejects(first.acquire(), { code: 'busy' }, 'and the lock passes on');
  await second.release();
  await second.release(); // idempotent
  t.ok((await fs.stat(file)).isFile(), 'the file stays (unlinking lock files races)');
});

t.test('a holder that has not written its pid yet is reported as unknown', async (t) => {
  const file = await lockFile(t);
  await fs.mkdir(path.dirname(file));
  await fs.writeFile(file, '');
  const lock = new InstanceLock(file, () => 'held-elsewhere');
  await t.rejects(lock.acquire(), { code: 'busy', message: `another pikvm-agent (pid unknown) holds ${file}` });
});

t.test('a failing flock is translated once, naming the file', async (t) => {
  const file = await lockFile(t);
  const lock = new InstanceLock(file, () => {
    throw errnoError('ENOLCK', 'flock');
  });
  const e = await lock.acquire().catch((e: unknown) => e);
  t.ok(isAgentError(e, 'io'));
  t.equal((e as Error).message, `lock ${file}: ENOLCK`);
  const other = new InstanceLock(file);
  await other.acquire();
  t.pass('the failed attempt left no descriptor holding the lock');
  await other.release();
});
