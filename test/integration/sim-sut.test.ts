import t from 'tap';
import { LineClient } from '../helpers/socket-client';
import { startSimAgent } from '../helpers/sim-agent';

async function sut(c: LineClient): Promise<Record<string, unknown>> {
  const reply = await c.send('sim sut');
  if (!reply.startsWith('ok ')) throw new Error(reply);
  return JSON.parse(reply.slice(3)) as Record<string, unknown>;
}

t.test('the virtual SUT sees shortcuts, clears on ctrl-l, and registers clicks on its target', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.equal(await c.send('type abc'), 'ok');
  t.equal(await c.send('ctrl-alt-delete'), 'ok');
  t.equal((await sut(c)).lastShortcut, 'ctrl-alt-delete');
  t.equal(await c.send('shift-tab'), 'ok');
  t.equal((await sut(c)).lastShortcut, 'ctrl-alt-delete', 'shift alone is not a shortcut');
  t.equal(agent.sim!.host.text(), 'abc\t');
  t.equal(await c.send('ctrl-l'), 'ok');
  t.equal(agent.sim!.host.text(), '', 'ctrl-l clears the console');

  const target = (await sut(c)).target as { x: number; y: number; width: number; height: number };
  t.same(await Promise.all(['mouse_move 5 5', 'mouse_button 1', 'mouse_button 0'].map((l) => c.send(l))), ['ok', 'ok', 'ok']);
  t.equal((await sut(c)).targetClick, null, 'a click elsewhere misses');
  const x = target.x + 10;
  const y = target.y + 10;
  for (const line of [`mouse_move ${x} ${y}`, 'mouse_button 1', 'mouse_button 0']) t.equal(await c.send(line), 'ok');
  t.same((await sut(c)).targetClick, { x, y });
  const screen = agent.sim!.sut.screen();
  t.match(screen.lines[1], `target clicked at ${x},${y}`);
  t.equal(screen.lines[3], 'shortcut: ctrl-l');
});

t.test('power off: no USB host, no signal; power on boots afresh', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.equal(await c.send('type before'), 'ok');
  t.equal(await c.send('sim power off'), 'ok {"powered":false}');
  t.equal(await c.send('sim power off'), 'ok {"powered":false}', 'idempotent');
  t.match(await c.send('a'), /^error: host-offline /);
  t.equal(agent.sim!.sut.screen().powered, false);
  t.equal(await c.send('sim power on'), 'ok {"powered":true}');
  t.equal(agent.sim!.host.text(), '', 'a fresh boot has an empty console');
  t.equal(await c.send('type after'), 'ok');
  t.equal(agent.sim!.host.text(), 'after');
});

t.test('once sim power off/on has answered, the video signal state already follows', async (t) => {
  const { socketPath } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  const online = async () => (JSON.parse((await c.send('status')).slice(3)) as { video: { signal: { online: boolean } } }).video.signal.online;
  t.equal(await online(), true);
  for (let i = 0; i < 5; i++) {
    // No wait in between: a power script asks right after its switch returned.
    t.equal(await c.send('sim power off'), 'ok {"powered":false}');
    t.equal(await online(), false, `off ${i}: no signal`);
    t.equal(await c.send('sim power on'), 'ok {"powered":true}');
    t.equal(await online(), true, `on ${i}: signal`);
  }
  t.equal(await c.send('sim mode 1280 1024'), 'ok');
  t.match(JSON.parse((await c.send('status')).slice(3)), { video: { signal: { width: 1280, height: 1024 } } }, 'a mode switch too');
});

t.test('a mode switch resizes the screen (the pointer keeps the client\'s space: pointer-space.test.ts)', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.equal(await c.send('sim mode 1280 1024'), 'ok');
  const s = agent.sim!.sut.screen();
  t.same([s.width, s.height], [1280, 1024]);
  t.match(s.lines[0], /1280x1024$/);
});

t.test('video commands answer from the simulated source', async (t) => {
  const { socketPath } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.match(await c.send('video timings'), /^ok \{"state":"online","timings":\{.*"width":1024,"height":768/);
  t.equal(await c.send('sim power off'), 'ok {"powered":false}');
  t.match(await c.send('video query'), /^ok \{"state":"no-signal"/);
  t.match(await c.send('video apply'), /^error: /);
});
