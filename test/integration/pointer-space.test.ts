/**
 * The pointer speaks the client's coordinate space, not the capture mode (issue 10): os-autoinst
 * scales every frame to XRES×YRES (default 1024×768) before matching needles
 * (`backend/baseclass.pm`, enqueue_screenshot) and sends every `mouse_move` in that space. Through
 * the real socket, with the simulated SUT in other modes, the client's corners and centre land on
 * the SUT's corners and centre; `screen W H` changes the space for one connection only.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { runWorkerKit } from '../../agent/cli/worker-kit';
import { CLI } from '../helpers/cli';
import { LineClient } from '../helpers/socket-client';
import { startSimAgent, type SimAgentFixture } from '../helpers/sim-agent';

type Size = { width: number; height: number };


/** Run a command with lines on stdin, as os-autoinst runs GENERAL_HW_INPUT_CMD; collect everything. */
function run(argv: string[], options: { cwd?: string; socket: string; stdin: string[] }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: { ...process.env, PIKVM_AGENT_SOCKET: options.socket }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(options.stdin.map((l) => l + '\n').join(''));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function okJson<T>(c: LineClient, line: string): Promise<T> {
  const reply = await c.send(line);
  if (!reply.startsWith('ok ')) throw new Error(`${line}: ${reply}`);
  return JSON.parse(reply.slice(3)) as T;
}

/** A simulated agent whose SUT runs `mode` (the capture side delivering it), and a connection in the default space. */
async function sutAt(t: Test, mode: Size, overrides: string[] = []): Promise<{ agent: SimAgentFixture; c: LineClient }> {
  const agent = await startSimAgent(t, overrides);
  const c = await LineClient.connect(agent.socketPath);
  t.teardown(() => c.close());
  if ((await c.send(`sim mode ${mode.width} ${mode.height}`)) !== 'ok') throw new Error('sim mode refused');
  for (let i = 0; i < 200; i++) {
    const s = await okJson<{ video: { signal: { online: boolean } & Partial<Size> } }>(c, 'status');
    if (s.video.signal.online && s.video.signal.width === mode.width && s.video.signal.height === mode.height) return { agent, c };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the capture never delivered ${mode.width}x${mode.height}`);
}

/** Where the SUT sees the pointer after `mouse_move x y` on connection c. */
async function landing(agent: SimAgentFixture, c: LineClient, x: number, y: number): Promise<{ x: number; y: number }> {
  const reply = await c.send(`mouse_move ${x} ${y}`);
  if (reply !== 'ok') throw new Error(`mouse_move ${x} ${y}: ${reply}`);
  const p = agent.agent.sim!.host.pointer();
  return { x: p.x, y: p.y };
}

/** Client point → the SUT pixel at the same fraction of the screen (two roundings through 0..32767 allow ±1). */
function near(t: Test, seen: { x: number; y: number }, client: { x: number; y: number }, space: Size, mode: Size, what: string): void {
  const ideal = { x: (client.x * (mode.width - 1)) / (space.width - 1), y: (client.y * (mode.height - 1)) / (space.height - 1) };
  t.ok(Math.abs(seen.x - ideal.x) <= 1 && Math.abs(seen.y - ideal.y) <= 1, `${what}: ${JSON.stringify(seen)} ≈ ${ideal.x.toFixed(1)},${ideal.y.toFixed(1)}`);
}

const DEFAULT_SPACE = { width: 1024, height: 768 };

for (const mode of [
  { width: 1920, height: 1080 },
  { width: 800, height: 600 },
]) {
  t.test(`SUT at ${mode.width}x${mode.height}: os-autoinst's 1024x768 corners and centre land on the SUT's`, async (t) => {
    const { agent, c } = await sutAt(t, mode);
    const right = mode.width - 1;
    const bottom = mode.height - 1;
    t.same(await landing(agent, c, 0, 0), { x: 0, y: 0 }, 'top-left');
    t.same(await landing(agent, c, 1023, 0), { x: right, y: 0 }, 'top-right');
    t.same(await landing(agent, c, 0, 767), { x: 0, y: bottom }, 'bottom-left');
    // mouse_hide: XRES-1, YRES-1 (consoles/video_base.pm)
    t.same(await landing(agent, c, 1023, 767), { x: right, y: bottom }, 'bottom-right: mouse_hide hides');
    near(t, await landing(agent, c, 512, 384), { x: 512, y: 384 }, DEFAULT_SPACE, mode, 'centre');
    // The SUT's own click target, aimed at in the client's space as a needle match would.
    const target = agent.agent.sim!.sut.target();
    const cx = Math.round(((target.x + target.width / 2) * 1023) / right);
    const cy = Math.round(((target.y + target.height / 2) * 767) / bottom);
    for (const line of [`mouse_move ${cx} ${cy}`, 'mouse_button 1', 'mouse_button 0']) t.equal(await c.send(line), 'ok', line);
    t.not(agent.agent.sim!.sut.targetClick(), null, 'the click hits the target');
  });
}

t.test('screen W H: one connection in the SUT\'s own pixels, another in os-autoinst\'s space, on the same agent', async (t) => {
  const mode = { width: 1920, height: 1080 };
  const { agent, c: job } = await sutAt(t, mode);
  const person = await LineClient.connect(agent.socketPath);
  t.teardown(() => person.close());
  t.equal(await person.send('screen 1920 1080'), 'ok');
  t.same(await landing(agent, person, 1919, 1079), { x: 1919, y: 1079 }, 'the person: the SUT\'s own corner');
  t.same(await landing(agent, person, 960, 540), { x: 960, y: 540 }, 'the person: its own pixel');
  t.same(await landing(agent, job, 1023, 767), { x: 1919, y: 1079 }, 'the job: still 1024x768');
  near(t, await landing(agent, job, 960, 540), { x: 960, y: 540 }, DEFAULT_SPACE, mode, 'the job: 960,540 of 1024x768');
  const status = await okJson<{ hid: { space: Size; clientSpaces: Size[]; pointer: unknown }; video: { mode: Size | null } }>(job, 'status');
  t.same(status.hid.space, DEFAULT_SPACE, 'status: the default client space');
  t.same(status.hid.clientSpaces, [DEFAULT_SPACE, mode], 'status: each open connection\'s space');
  t.same(status.hid.pointer, { x: 960, y: 540, space: DEFAULT_SPACE, buttons: 0 }, 'status: the last move as its client sent it');
  t.same(status.video.mode, mode, 'status: the capture mode, independently');
  person.close();
  const again = await LineClient.connect(agent.socketPath);
  t.teardown(() => again.close());
  t.equal(await again.send('screen'), 'ok {"width":1024,"height":768}', 'a new connection starts from hid.screen_width×height');
});

t.test('hid.screen_width/height set the space every connection starts with', async (t) => {
  const mode = { width: 800, height: 600 };
  const { agent, c } = await sutAt(t, mode, ['hid.screen_width=1280', 'hid.screen_height=1024']);
  t.same(await landing(agent, c, 1279, 1023), { x: 799, y: 599 });
  near(t, await landing(agent, c, 1023, 767), { x: 1023, y: 767 }, { width: 1280, height: 1024 }, mode, 'not the corner: 1023,767 of 1280x1024');
});

t.test('past the edge is the edge (ok); not a pixel at all is bad-argument; one reply each', async (t) => {
  const { agent, c } = await sutAt(t, { width: 1920, height: 1080 });
  // A test's mouse_set past XRES, or mouse_hide with a negative border_offset (consoles/video_base.pm).
  t.same(await landing(agent, c, 1033, 777), { x: 1919, y: 1079 });
  t.same(await landing(agent, c, 65535, 0), { x: 1919, y: 0 });
  for (const line of ['mouse_move 65536 0', 'mouse_move -1 0', 'mouse_move 1.5 0']) t.match(await c.send(line), /^error: bad-argument /, line);
  t.equal(await c.send('ping'), 'ok', 'still in step');
  t.same(agent.agent.sim!.host.pointer(), { x: 1919, y: 0, buttons: 0 }, 'a refused move moves nothing');
});

t.test('pikvm-agent input --screen WxH: the space for its connection, and only the client\'s own lines are answered', async (t) => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  const { agent, c } = await sutAt(t, { width: 800, height: 600 });
  const lines = ['mouse_move 1279 1023', 'mouse_button 1', 'mouse_button 0'];
  const r = await run([process.execPath, CLI, 'input', '--screen', '1280x1024'], { socket: agent.socketPath, stdin: lines });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'ok\nok\nok\n', 'exactly one ok per line sent: upstream os-autoinst reads one per line (PR #2514)');
  t.same(agent.agent.sim!.host.pointer(), { x: 799, y: 599, buttons: 0 }, '1279,1023 of 1280x1024 is the corner');
  t.equal(await c.send('screen'), 'ok {"width":1024,"height":768}', 'other connections are not affected');

  for (const [screen, why] of [['8x8', /--screen 8x8: error: bad-argument a coordinate space is at least 16x16/], ['1024', /--screen is WIDTHxHEIGHT/]] as const) {
    const bad = await run([process.execPath, CLI, 'input', '--screen', screen], { socket: agent.socketPath, stdin: ['a'] });
    t.not(bad.code, 0, `--screen ${screen} fails`);
    t.equal(bad.stdout, '', `--screen ${screen}: nothing on stdout`);
    t.match(bad.stderr, why);
  }
});

t.test('the worker kit\'s pikvm-input passes the job\'s XRES×YRES from vars.json in its working directory', async (t) => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  const { agent } = await sutAt(t, { width: 1920, height: 1080 });
  const cmds = path.join(agent.dir, 'cmds');
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const code = await runWorkerKit(
    ['--local', '--out', cmds, '--agent', `${process.execPath} ${CLI}`, '--power-on', 'true', '--power-off', 'true'],
    { stdout: sink, stderr: sink },
  );
  t.equal(code, 0);
  const input = path.join(cmds, 'pikvm-input');
  const pool = path.join(agent.dir, 'pool');
  await fs.mkdir(pool);
  const job = async (vars: Record<string, unknown> | null, lines: string[]) => {
    if (vars) await fs.writeFile(path.join(pool, 'vars.json'), JSON.stringify(vars, null, 2));
    else await fs.rm(path.join(pool, 'vars.json'), { force: true });
    const r = await run([input], { cwd: pool, socket: agent.socketPath, stdin: lines });
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, lines.map(() => 'ok\n').join(''), 'one ok per line, nothing else');
    return agent.agent.sim!.host.pointer();
  };
  t.same(await job({ XRES: '1280', YRES: 1024, BACKEND: 'generalhw' }, ['mouse_move 1279 1023']), { x: 1919, y: 1079, buttons: 0 }, 'XRES=1280 YRES=1024');
  t.same(await job({ BACKEND: 'generalhw' }, ['mouse_move 1023 767']), { x: 1919, y: 1079, buttons: 0 }, 'no XRES: 1024x768 as os-autoinst');
  t.same(await job(null, ['mouse_move 0 767']), { x: 0, y: 1079, buttons: 0 }, 'no vars.json (run by hand): the agent default');
  await fs.writeFile(path.join(pool, 'vars.json'), JSON.stringify({ XRES: '1280;reboot', YRES: 1024 }));
  const bad = await run([input], { cwd: pool, socket: agent.socketPath, stdin: ['mouse_move 1 1'] });
  t.not(bad.code, 0, 'an XRES that is not a number fails the input command');
  t.equal(bad.stdout, '');
  t.match(bad.stderr, /--screen is WIDTHxHEIGHT like 1024x768, got "1280;rebootx1024"/);
});
