/**
 * Runs one openQA job with Debian's unmodified isotovideo (generalhw backend) and reads its verdict
 * from the result files (reference/isotovideo.md): isotovideo exits 0 for failed jobs too.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

export const ISOTOVIDEO = '/usr/bin/isotovideo';
export const INSTALL_HINT =
  'apt-get install -y --no-install-recommends os-autoinst libtime-moment-perl libcpanel-json-xs-perl libjson-validator-perl ' +
  'libyaml-libyaml-perl liblist-moreutils-perl libmojo-ioloop-readwriteprocess-perl (or: bash .ci/install-deps)';

export interface JobResult {
  verdict: 'passed' | 'failed' | 'incomplete';
  reason: string;
  modules: Record<string, string>;
  exitCode: number | null;
  timedOut: boolean;
  log: string;
}

/** Run isotovideo in `pool` (a fresh copy of `vars` is written first) under an external timeout. */
export async function runJob(pool: string, vars: Record<string, string | number>, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<JobResult> {
  if (!existsSync(ISOTOVIDEO)) throw new Error(`${ISOTOVIDEO} is missing: ${INSTALL_HINT}`);
  await fs.mkdir(pool, { recursive: true });
  await fs.writeFile(path.join(pool, 'vars.json'), JSON.stringify(vars, null, 2));
  const log = path.join(pool, 'autoinst-log.txt');
  const out = await fs.open(log, 'w');
  // Its own process group: a kill must reach its children (the commands server, ffmpeg, input).
  const child = spawn(ISOTOVIDEO, ['-d'], { cwd: pool, detached: true, stdio: ['ignore', out.fd, out.fd], env });
  await out.close();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000).unref();
  }, timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  try {
    process.kill(-child.pid!, 'SIGKILL'); // leftovers of the group
  } catch {
    /* none */
  }
  return { ...(await verdict(pool, exitCode, timedOut)), exitCode, timedOut, log };
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

/** incomplete if rc≠0, base_state.json exists or status≠finished; failed if a module failed; else passed. */
async function verdict(pool: string, exitCode: number | null, timedOut: boolean): Promise<Omit<JobResult, 'exitCode' | 'timedOut' | 'log'>> {
  const results = path.join(pool, 'testresults');
  const modules: Record<string, string> = {};
  let order: Array<{ name: string }> = [];
  try {
    order = (await readJson(path.join(results, 'test_order.json'))) as Array<{ name: string }>;
  } catch {
    /* no schedule: incomplete below */
  }
  for (const { name } of order) {
    try {
      modules[name] = ((await readJson(path.join(results, `result-${name}.json`))) as { result?: string }).result ?? 'none';
    } catch {
      modules[name] = 'missing';
    }
  }
  let status = 'missing';
  try {
    status = ((await readJson(path.join(pool, 'autoinst-status.json'))) as { status?: string }).status ?? 'none';
  } catch {
    /* stays missing */
  }
  if (timedOut) return { verdict: 'incomplete', reason: 'timed out', modules };
  if (exitCode !== 0) return { verdict: 'incomplete', reason: `isotovideo exited ${exitCode}`, modules };
  if (existsSync(path.join(pool, 'base_state.json'))) return { verdict: 'incomplete', reason: 'base_state.json present', modules };
  if (status !== 'finished') return { verdict: 'incomplete', reason: `status ${status}`, modules };
  if (order.length === 0) return { verdict: 'incomplete', reason: 'no test modules were scheduled', modules };
  const bad = Object.entries(modules).filter(([, r]) => r !== 'ok' && r !== 'softfail');
  if (bad.length) return { verdict: 'failed', reason: bad.map(([n, r]) => `${n}: ${r}`).join(', '), modules };
  return { verdict: 'passed', reason: 'all modules ok', modules };
}
