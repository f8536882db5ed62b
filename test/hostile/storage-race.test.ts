/**
 * A client with write access to the image directory swaps a symlink in while `storage attach`
 * runs (issue 11: a check-then-open-by-name attach let a swapped symlink through 36k times in
 * 10 s). The whole agent over the simulated PiKVM, whose f_mass_storage opens the name it is given
 * in the agent's process, as the real one does.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { isInside } from '../../agent/platform/inside';
import { startSwapper } from '../fixtures/symlink-swapper';
import { startSimAgent } from '../helpers/sim-agent';
import { LineClient } from '../helpers/socket-client';

t.test('storage attach while a symlink to a file outside is swapped in and out', async (t) => {
  const { socketPath, agent, imageDir, dir } = await startSimAgent(t);
  const good = path.join(imageDir, 'good.img');
  await fs.writeFile(good, Buffer.alloc(4096, 0x11));
  const secret = path.join(dir, 'secret.img');
  await fs.writeFile(secret, Buffer.alloc(4096, 0xee));
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  const swapper = await startSwapper(path.join(imageDir, 'swap.img'), good, secret);
  t.teardown(() => swapper.stop());

  const seen = { ok: 0, forbidden: 0, other: [] as string[], escapes: [] as string[] };
  for (let i = 0; i < 20_000 && (i < 300 || seen.ok === 0 || seen.forbidden === 0); i++) {
    const reply = await c.send('storage attach --rw swap.img');
    if (reply === 'ok') seen.ok++;
    else if (reply.startsWith('error: forbidden ')) seen.forbidden++;
    else seen.other.push(reply);
    for (const m of agent.sim!.media()) if (!isInside(imageDir, m.file)) seen.escapes.push(m.file);
  }
  await swapper.stop();
  t.same(seen.escapes, [], 'the virtual SUT never saw a file from outside the image directory');
  t.same(seen.other, [], 'every attach was attached or refused as forbidden');
  t.ok(seen.ok > 0 && seen.forbidden > 0, `both sides of the race were hit (${seen.ok} attached, ${seen.forbidden} refused)`);
  t.equal(await c.send('storage eject'), 'ok');
});
