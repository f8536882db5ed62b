/**
 * Test helper for the daemon's life cycle: the compiled `pikvm-agent serve --simulate` (dist/) as a
 * separate process in a temporary run directory, with its exit code and stderr, optionally under a
 * lower open-file limit. Needs `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Test } from 'tap';
import { exchange } from '../helpers/socket-client';

export const CLI = path.resolve(__dirname, '../../dist/agent/cli.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited and its output is closed. */
  exited: Promise<Exit>;
}

/** A TCP port nobody listens on right now (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `serve --simulate --run-dir=RUN_DIR ARGS…`; SIGKILLed at teardown if still running. With
 * `openFiles`, bash sets the soft and hard RLIMIT_NOFILE first (as systemd's LimitNOFILE= does) and
 * execs node, so the pid is the daemon's.
 */
export function serve(t: Test, runDir: string, args: string[], options: { openFiles?: number } = {}): ServeProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  const command = [process.execPath, CLI, 'serve', '--simulate', `--run-dir=${runDir}`, ...args];
  const child =
    options.openFiles === undefined
      ? spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('bash', ['-c', 'ulimit -n "$1" && shift && exec "$@"', 'bash', String(options.openFiles), ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, pid: child.pid!, stderr: () => stderr, exited };
}

/** The run directory's entries, sorted; [] when it does not exist. */
export async function runDirEntries(runDir: string): Promise<string[]> {
  return (await fs.readdir(runDir).catch(() => [] as string[])).sort();
}

/** Resolves once the daemon answers `ping` on `socketPath` (a stale socket file refuses); rejects if it exits first. */
export async function waitForAnswer(socketPath: string, daemon: ServeProcess): Promise<void> {
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`the daemon exited (${daemon.child.exitCode ?? daemon.child.signalCode}) before answering on ${socketPath}: ${daemon.stderr()}`);
    }
    const reply = await exchange(socketPath, 'ping\n').catch(() => []);
    if (reply[0] === 'ok') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
