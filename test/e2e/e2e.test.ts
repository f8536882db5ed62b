/**
 * End to end with the real client: Debian's unmodified os-autoinst (isotovideo, generalhw backend)
 * drives the simulated PiKVM through the worker kit's scripts and its printed workers.ini block for
 * Debian 12 (the agent's NUT stream at the jobs' screen size), and the job passes; a job with an unmatchable needle fails. Then the upstream protocol: replies awaited
 * line by line through `pikvm-agent input`, and the `pikvm-agent ffmpeg` shim read with upstream's
 * PPM header rule.
 *
 * Artifacts (autoinst-log.txt, screenshots, the agent log) stay in artifacts/e2e/ for reading a failure.
 */
import t from 'tap';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { TARGET } from '../../agent/sim/sut';
import { FLASHED_NAME, DISK_NAME, FULL_HD, TYPED_TEXT } from './needles';
import { runJob, type JobResult } from './isotovideo';
import { type AgentProcess, CLI, REPO, startAgent } from './sut-session';

const ARTIFACTS = path.join(REPO, 'artifacts/e2e');
const JOB_TIMEOUT_MS = 240_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function keepArtifacts(pool: string, name: string): Promise<void> {
  const dest = path.join(ARTIFACTS, name);
  await fs.mkdir(dest, { recursive: true });
  await fs.copyFile(path.join(pool, 'autoinst-log.txt'), path.join(dest, 'autoinst-log.txt')).catch(() => undefined);
  const shots = (await fs.readdir(path.join(pool, 'testresults')).catch(() => [] as string[])).filter((f) => f.endsWith('.png')).sort();
  for (const shot of shots.slice(0, 12)) await fs.copyFile(path.join(pool, 'testresults', shot), path.join(dest, shot));
  for (const f of (await fs.readdir(path.join(pool, 'testresults')).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))) {
    await fs.copyFile(path.join(pool, 'testresults', f), path.join(dest, f));
  }
}

function describeJob(r: JobResult): string {
  return `${r.verdict} (${r.reason}); modules ${JSON.stringify(r.modules)}; log ${r.log}`;
}

let agent: AgentProcess;
let work: string;
let cmds: string;
/** The worker kit's printed block for Debian 12's os-autoinst, as workers.ini hands it to a job. */
let debianBlock: Record<string, string>;

function iniSection(ini: string, name: string): Record<string, string> {
  const section = ini.split(/^\[/m).find((s) => s.startsWith(`${name}]`));
  if (!section) throw new Error(`no [${name}] in the worker kit's block:\n${ini}`);
  const entries: Record<string, string> = {};
  for (const line of section.split('\n')) {
    const m = /^([A-Z_0-9]+) = (.*)$/.exec(line);
    if (m) entries[m[1]!] = m[2]!;
  }
  return entries;
}

t.before(async () => {
  if (REPO.includes(' ')) throw new Error('the e2e tier needs a checkout path without spaces (os-autoinst splits commands on spaces)');
  await fs.rm(ARTIFACTS, { recursive: true, force: true });
  work = path.join(ARTIFACTS, 'work');
  await fs.mkdir(work, { recursive: true });
  agent = await startAgent(work, await freePort());
  cmds = path.join(work, 'cmds');
  const ctl = `${process.execPath} ${CLI} ctl`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI, 'worker-kit', '--local', '--out', cmds, '--agent', `${process.execPath} ${CLI}`,
    '--power-on', `${ctl} sim power on`, '--power-off', `${ctl} sim power off`, '--image-dir', agent.imageDir,
    '--http-port', String(agent.port),
  ]);
  debianBlock = iniSection(stdout, '2');
  await fs.writeFile(path.join(work, DISK_NAME), Buffer.alloc(1 << 20, 0x5a));
});

t.teardown(async () => {
  await agent?.stop();
  await fs.copyFile(agent.log, path.join(ARTIFACTS, 'agent.log')).catch(() => undefined);
});

async function job(name: string, extra: Record<string, string | number>): Promise<JobResult> {
  const pool = path.join(work, `pool-${name}`);
  await fs.rm(pool, { recursive: true, force: true });
  const vars = {
    ...debianBlock, // BACKEND, the GENERAL_HW_* commands, the stream URL (…/stream.nut?fps=2&size=1024x768)
    DISTRI: 'sut',
    CASEDIR: path.join(REPO, 'test/e2e/distri'),
    PRODUCTDIR: path.join(REPO, 'test/e2e/distri'),
    NEEDLES_DIR: path.join(REPO, 'test/e2e/distri/needles'),
    WORKER_HOSTNAME: '127.0.0.1',
    QEMUPORT: (await freePort()) - 1,
    NOVIDEO: 1,
    HDD_1: path.join(work, DISK_NAME),
    HDDSIZEGB: 1,
    E2E_TEXT: TYPED_TEXT,
    // click_1080p.pm switches the simulated SUT's mode with it (split on spaces, no shell)
    E2E_SIM_CTL: `${process.execPath} ${CLI} ctl`,
    ...extra,
  };
  const result = await runJob(pool, vars, { ...process.env, PIKVM_AGENT_SOCKET: agent.socket }, JOB_TIMEOUT_MS);
  await keepArtifacts(pool, name);
  return result;
}

t.test('a real openQA job passes through the agent: boot, typing, shortcuts, click, media, power, click at 1920x1080', async (t) => {
  const result = await job('positive', {});
  await agent.ctl('sim mode 1024 768'); // whatever click_1080p left, the next job starts at 1024x768
  t.equal(result.verdict, 'passed', describeJob(result));
  t.same(Object.keys(result.modules), ['boot', 'typing', 'shortcuts', 'click', 'media', 'power', 'click_1080p'], 'every module ran');
  // What the SUT saw, independently of the needles: the flash script's medium, the click.
  const sut = JSON.parse((await agent.ctl('sim sut')).slice(3)) as { media: Array<{ file: string }>; powered: boolean; targetClick: { x: number; y: number } | null };
  t.same(sut.media.map((m) => path.basename(m.file)), [FLASHED_NAME], 'HDD_1 is attached through the agent');
  // The last click (click_1080p) in 1920x1080 pixels: inside the target box of that mode.
  const box = { x: FULL_HD.width - TARGET.marginRight, y: FULL_HD.height - TARGET.marginBottom };
  const hit = sut.targetClick;
  t.ok(hit && hit.x >= box.x && hit.x < box.x + TARGET.width && hit.y >= box.y && hit.y < box.y + TARGET.height, `the 1920x1080 click landed in the target: ${JSON.stringify(hit)}`);
});

t.test('a job with an unmatchable needle fails', async (t) => {
  const result = await job('negative', { E2E_NEGATIVE: 1 });
  t.equal(result.verdict, 'failed', describeJob(result));
  t.equal(result.modules.boot, 'ok');
  t.equal(result.modules.unmatchable, 'fail');
});

t.test('upstream input protocol: one ok awaited per line, exit on EOF', async (t) => {
  const input = spawn(process.execPath, [CLI, 'input'], { env: { ...process.env, PIKVM_AGENT_SOCKET: agent.socket }, stdio: 'pipe' });
  let buffered = '';
  const replies: string[] = [];
  let wake: (() => void) | null = null;
  input.stdout.setEncoding('utf8');
  input.stdout.on('data', (d: string) => {
    buffered += d;
    wake?.();
  });
  const nextReply = async (): Promise<string> => {
    while (!buffered.includes('\n')) await new Promise<void>((r) => (wake = r));
    const nl = buffered.indexOf('\n');
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    return line;
  };
  await agent.ctl('sim power on');
  await agent.ctl('sim clear');
  // What upstream os-autoinst sends for type_string('Ab-c d'), send_key, mouse_set, mouse_click, mouse_hide.
  const lines = ['A', 'b', 'minus', 'c', 'spc', 'd', 'ctrl-alt-delete', 'mouse_move 320 420', 'mouse_button 1', 'mouse_button 0', 'mouse_move 1023 767'];
  for (const line of lines) {
    input.stdin.write(line + '\n');
    replies.push(await nextReply()); // upstream blocks until exactly "ok\n" (PR #2514)
  }
  input.stdin.end();
  const [code] = await once(input, 'exit');
  t.same(replies, lines.map(() => 'ok'));
  t.equal(code, 0, 'exits 0 on EOF');
  t.equal(buffered, '', 'no extra output');
  t.equal(JSON.parse((await agent.ctl('sim text')).slice(3)), 'Ab-c d');
});

t.test('the ffmpeg shim writes PPM frames os-autoinst parses, and stops on SIGTERM', async (t) => {
  const shim = spawn(process.execPath, [CLI, 'ffmpeg', '-loglevel', 'fatal', '-i', '/dev/video0', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '4', '-'], {
    env: { ...process.env, PIKVM_AGENT_RUN_DIR: agent.runDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let data = Buffer.alloc(0);
  const frames: Array<{ width: number; height: number }> = [];
  shim.stdout.on('data', (d: Buffer) => {
    data = Buffer.concat([data, d]);
    // consoles/video_stream.pm: read 20 bytes, match /^(P6\n(\d+) (\d+)\n(\d+)\n)/, then the rest.
    for (;;) {
      if (data.length < 20) return;
      const m = /^(P6\n(\d+) (\d+)\n(\d+)\n)/.exec(data.subarray(0, 20).toString('latin1'));
      if (!m) throw new Error(`Invalid PPM header: ${JSON.stringify(data.subarray(0, 20).toString('latin1'))}`);
      const len = m[1]!.length + Number(m[2]) * Number(m[3]) * 3 * (Number(m[4]) < 256 ? 1 : 2);
      if (data.length < len) return;
      frames.push({ width: Number(m[2]), height: Number(m[3]) });
      data = data.subarray(len);
    }
  });
  const started = Date.now();
  while (frames.length < 4 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 100));
  const stopAt = Date.now();
  shim.kill('SIGTERM');
  const [code] = await once(shim, 'exit');
  t.ok(frames.length >= 4, `got ${frames.length} frames`);
  t.same(frames[0], { width: 1024, height: 768 });
  t.equal(code, 0, 'SIGTERM ends it with 0');
  t.ok(Date.now() - stopAt < 2000, 'it stops promptly');
});
