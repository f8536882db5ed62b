/** Test helper: a whole agent over the simulated PiKVM, in-process, in a temporary run directory. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { loadConfig } from '../../agent/config';
import { recordingLogger } from '../../agent/log';
import type { Agent } from '../../agent/agent';
import { createAgent } from '../../agent/main';

export interface SimAgentFixture {
  agent: Agent;
  socketPath: string;
  dir: string;
  imageDir: string;
  logger: ReturnType<typeof recordingLogger>;
}

export async function startSimAgent(t: Test, overrides: string[] = []): Promise<SimAgentFixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-sim-'));
  const imageDir = path.join(dir, 'images');
  await fs.mkdir(imageDir);
  const config = await loadConfig({
    configFile: path.join(dir, 'absent.yaml'),
    explicit: false,
    env: {},
    overrides: [`run_dir=${path.join(dir, 'run')}`, `storage.image_dirs=${imageDir}`, 'video.source=sim', 'http.listen=', ...overrides],
  });
  const logger = recordingLogger('agent');
  const agent = createAgent(config, { simulate: true }, logger);
  await agent.start();
  t.teardown(async () => {
    await agent.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return { agent, socketPath: config.control.socket, dir, imageDir, logger };
}
