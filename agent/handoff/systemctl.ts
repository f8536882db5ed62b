/**
 * `ServiceManager` over the `systemctl` command: spawned with an argument array (no shell), `--` before
 * the unit name, `--no-ask-password` so a missing privilege fails at once instead of waiting for a
 * polkit agent, and a bound on every call. Exit statuses are translated here, once
 * (systemctl(1) "EXIT STATUS", LSB init-script codes): 0 ok; for `is-active`, any other status means
 * "not active" (3 = inactive, 4 = no such unit); for start/stop 5 = unit not loaded (`not-found`),
 * 4 = insufficient privileges (`forbidden`), anything else `io` with systemctl's own message.
 */
import { spawn } from 'node:child_process';
import { makeSacrificial } from '../platform/sacrificial';
import { AgentError } from '../errors';
import type { Logger } from '../log';
import { assertStoppable, type ServiceManager, validateUnitName } from './service-manager';

export interface SystemctlOptions {
  logger: Logger;
  /** The program to run; a bare name is looked up on PATH. */
  command?: string;
  /** Bound for start/stop (kvmd's TimeoutStopSec plus its ustreamer child can take a while). */
  jobTimeoutMs?: number;
  /** Bound for is-active. */
  queryTimeoutMs?: number;
}

interface RunResult {
  status: number;
  stderr: string;
}

/** Bytes of systemctl's stderr kept for the error message. */
const STDERR_LIMIT = 2048;

export class SystemctlServiceManager implements ServiceManager {
  private readonly command: string;
  private readonly jobTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly logger: Logger;

  constructor(options: SystemctlOptions) {
    this.logger = options.logger;
    this.command = options.command ?? 'systemctl';
    this.jobTimeoutMs = options.jobTimeoutMs ?? 90_000;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  }

  async isActive(unit: string): Promise<boolean> {
    validateUnitName(unit);
    const result = await this.run(['is-active', '--quiet', '--', unit], this.queryTimeoutMs);
    return result.status === 0;
  }

  async start(unit: string): Promise<void> {
    validateUnitName(unit);
    await this.job('start', unit);
  }

  async stop(unit: string): Promise<void> {
    assertStoppable(unit);
    await this.job('stop', unit);
  }

  private async job(verb: 'start' | 'stop', unit: string): Promise<void> {
    this.logger.info(`${verb.toUpperCase()} ${unit}`);
    const { status, stderr } = await this.run([verb, '--', unit], this.jobTimeoutMs);
    if (status === 0) return;
    const detail = stderr.trim().split('\n').join(' ') || `exit status ${status}`;
    const code = status === 5 ? 'not-found' : status === 4 ? 'forbidden' : 'io';
    throw new AgentError(code, `systemctl ${verb} ${unit} failed: ${detail}`);
  }

  private run(args: string[], timeoutMs: number): Promise<RunResult> {
    const fullArgs = ['--no-ask-password', ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(this.command, fullArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
      void makeSacrificial(child.pid);
      let stderr = '';
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(() =>
          reject(new AgentError('timeout', `systemctl ${args.join(' ')} did not finish within ${timeoutMs} ms`)),
        );
      }, timeoutMs);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < STDERR_LIMIT) stderr += chunk.slice(0, STDERR_LIMIT - stderr.length);
      });
      child.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' ? `${this.command} not found (is this a systemd host?)` : e.message;
        finish(() => reject(new AgentError('not-supported', `cannot run systemctl: ${why}`, e)));
      });
      child.once('close', (status, signal) => {
        finish(() => {
          if (status === null) reject(new AgentError('io', `systemctl ${args.join(' ')} killed by ${signal}`));
          else resolve({ status, stderr });
        });
      });
    });
  }
}
