/**
 * Helper for the hostile tier and bench/soak: the compiled daemon (`serve --simulate` from dist/)
 * run under the limits of the systemd unit, as a separate process whose memory can be measured. The
 * limits are read from `systemd/pikvm-agent.service` (V8 heap cap, malloc setting, LimitNOFILE,
 * MemoryHigh), so the tests and the bench follow the unit when it changes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';

import { CLI, REPO } from './cli';

export { CLI } from './cli';

interface UnitLimits {
  nodeFlags: string[];
  env: Record<string, string>;
  maxFiles: number;
  /** MemoryHigh= in bytes: above it the kernel throttles the unit's cgroup. */
  memoryHighBytes: number;
}

const SIZE_SUFFIX: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** The node flags, Environment= lines, LimitNOFILE and MemoryHigh of the shipped unit. */
export function unitLimits(): UnitLimits {
  const unit = readFileSync(path.join(REPO, 'systemd/pikvm-agent.service'), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  const nodeFlags = exec.split(' ').filter((w) => w.startsWith('--max-old-space-size='));
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=([A-Z_]+)=(\S*)$/gm)) env[m[1]!] = m[2]!;
  const maxFiles = Number(/^LimitNOFILE=(\d+)$/m.exec(unit)?.[1]);
  // systemd.resource-control(5): a size with an optional K, M, G suffix (base 1024).
  const high = /^MemoryHigh=(\d+)([KMG]?)$/m.exec(unit);
  const memoryHighBytes = high ? Number(high[1]) * SIZE_SUFFIX[high[2]!]! : NaN;
  if (nodeFlags.length !== 1 || !env.MALLOC_MMAP_THRESHOLD_ || !Number.isInteger(maxFiles) || !Number.isInteger(memoryHighBytes)) {
    throw new Error('systemd/pikvm-agent.service no longer names --max-old-space-size, MALLOC_MMAP_THRESHOLD_, LimitNOFILE and MemoryHigh');
  }
  return { nodeFlags, env, maxFiles, memoryHighBytes };
}

export interface SpawnedDaemon {
  child: ChildProcess;
  pid: number;
  socketPath: string;
  runDir: string;
  /** Everything the daemon logged so far (stderr). */
  log(): string;
}

export interface StartedDaemon extends SpawnedDaemon {
  /** SIGTERM (SIGKILL after 10 s), then remove the run directory. */
  stop(): Promise<void>;
}

/**
 * Start `serve --simulate` under the unit's limits in a fresh run directory. `settings` are
 * `key=value` for `--set`, after the defaults here (HTTP off), so they override them.
 */
export async function startDaemon(settings: string[] = []): Promise<StartedDaemon> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-hostile-'));
  const runDir = path.join(dir, 'run');
  const socketPath = path.join(runDir, 'control.sock');
  const limits = unitLimits();
  const args = ['serve', '--simulate', `--run-dir=${runDir}`, '--set', 'http.listen=', '--set', `kickstart.dir=${dir}`];
  for (const s of settings) args.push('--set', s);
  // bash sets the soft and hard limit, as LimitNOFILE= does; exec keeps the pid.
  const child = spawn('bash', ['-c', `ulimit -n ${limits.maxFiles} && exec "$@"`, 'bash', process.execPath, ...limits.nodeFlags, CLI, ...args], {
    env: { ...process.env, ...limits.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(killer);
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; !existsSync(socketPath); i++) {
      if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode}: ${log}`);
      if (i === 300) throw new Error(`the daemon did not create ${socketPath}: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { child, pid: child.pid!, socketPath, runDir, log: () => log, stop };
}

/** startDaemon() for a tap test: stopped at teardown. */
export async function spawnDaemon(t: Test, settings: string[] = []): Promise<SpawnedDaemon> {
  let daemon: StartedDaemon | undefined;
  t.teardown(() => daemon?.stop());
  daemon = await startDaemon(settings);
  return daemon;
}

/** A field of /proc/PID/status in KiB (VmRSS: resident now; VmHWM: the peak so far). */
export async function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]);
}

/** How many file descriptors the process has open. */
export async function openFds(pid: number): Promise<number> {
  return (await fs.readdir(`/proc/${pid}/fd`)).length;
}

/**
 * `promise`, or `fallback` if it has not settled after `ms`: a daemon that never answers fails
 * the test instead of hanging it until tap's timeout.
 */
export function orAfter<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(resolve, ms, fallback)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
