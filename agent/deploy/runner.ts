/**
 * Running system programs (npm, tar, systemctl, rw/ro, ssh, scp) for the deploy commands: argument
 * arrays, never a shell string, and resolved by name on PATH so tests put recording stand-ins first.
 */
import { spawn } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, fromErrno } from '../errors';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
}

export interface CommandRunner {
  /** Runs the program; resolves with its exit status (a signal counts as 128+n), rejects only when it cannot start. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Whether `command` is an executable on PATH. */
  has(command: string): Promise<boolean>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** The real runner, with `env` (PATH included) for every child. */
export function processRunner(env: NodeJS.ProcessEnv = process.env): CommandRunner {
  return {
    run(command, args, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(command, [...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.once('error', (e) => reject(fromErrno(e, `cannot run ${command}`)));
        child.once('close', (code, signal) => {
          resolve({
            code: code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          });
        });
      });
    },
    async has(command) {
      if (command.includes('/')) return isExecutable(command);
      for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
        if (await isExecutable(path.join(dir, command))) return true;
      }
      return false;
    },
  };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Runs the program and throws an AgentError naming it, its arguments and its stderr when it fails. */
export async function runChecked(runner: CommandRunner, command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
  const result = await runner.run(command, args, options);
  if (result.code !== 0) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join(' | ');
    throw new AgentError('io', `${[command, ...args].join(' ')} failed (exit ${result.code})${detail ? `: ${detail}` : ''}`);
  }
  return result;
}
