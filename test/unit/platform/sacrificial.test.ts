import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { makeSacrificial, SACRIFICIAL_OOM_SCORE_ADJ } from '../../../agent/platform/sacrificial';

t.test('a spawned helper gets a higher oom_score_adj than the agent', async (t) => {
  const child = spawn('sleep', ['5']);
  t.teardown(() => child.kill());
  await once(child, 'spawn');
  t.equal(await makeSacrificial(child.pid), true);
  t.equal(readFileSync(`/proc/${child.pid}/oom_score_adj`, 'utf8').trim(), String(SACRIFICIAL_OOM_SCORE_ADJ));
});

t.test('a child that is gone is not an error', async (t) => {
  t.equal(await makeSacrificial(undefined), false);
  t.equal(await makeSacrificial(2 ** 22 + 12345), false);
});
