/**
 * A simulated agent driven through its control socket and read through its HTTP frames: shared by
 * the needle maker and the e2e runner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { request } from '../../agent/cli/client';
import { CLI } from '../helpers/cli';

export { CLI, REPO } from '../helpers/cli';

export interface AgentProcess {
  child: ChildProcess;
  socket: string;
  port: number;
  runDir: string;
  imageDir: string;
  log: string;
  ctl(line: string): Promise<string>;
  framePng(): Promise<Buffer>;
  stop(): Promise<void>;
}

/** Start `pikvm-agent serve --simulate` with its own run and image directories under `work`. */
export async function startAgent(work: string, port: number): Promise<AgentProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  const runDir = path.join(work, 'run');
  const imageDir = path.join(work, 'images');
  await fs.mkdir(imageDir, { recursive: true });
  const log = path.join(work, 'agent.log');
  const config = path.join(work, 'agent.yaml');
  await fs.writeFile(config, '# the e2e agent: everything comes from flags\n');
  const out = await fs.open(log, 'w');
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--simulate', `--run-dir=${runDir}`, `--http-listen=127.0.0.1:${port}`, '--config', config,
      '--set', `storage.image_dirs=${imageDir}`, '--set', 'log.level=debug'],
    { stdio: ['ignore', out.fd, out.fd], env: { ...process.env, NOTIFY_SOCKET: '' } },
  );
  await out.close();
  const socket = path.join(runDir, 'control.sock');
  const ctl = async (line: string) => {
    const reply = await request(socket, line);
    if (!reply.startsWith('ok')) throw new Error(`${line}: ${reply}`);
    return reply;
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}; see ${log}`);
    if (existsSync(socket)) break;
    if (i > 200) throw new Error(`the agent did not start; see ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    socket,
    port,
    runDir,
    imageDir,
    log,
    ctl,
    framePng: () => get(`http://127.0.0.1:${port}/frame.png`),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export function get(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

/** Wait until the frames show what a command did (the source renders at its own pace). */
export const settle = () => new Promise((r) => setTimeout(r, 400));
