/**
 * The system side of installing on a PiKVM, shared by install and uninstall: the read-only root,
 * systemd, and the Node.js the unit runs.
 */
import { AgentError, describe } from '../errors';
import type { Logger } from '../log';
import { type CommandRunner, runChecked } from './runner';

export interface SystemDeps {
  runner: CommandRunner;
  logger: Logger;
}

/** The Node.js major version the agent needs (package.json engines, sharp 0.35's engines). */
export const MIN_NODE_MAJOR = 20;

/**
 * PiKVM OS mounts / read-only; its `rw` and `ro` commands remount it (PiKVM docs: "rw" before any
 * change, "ro" afterwards). `ro` runs even when `body` fails, so a failed install never leaves the
 * root writable; its own failure (e.g. "mount point is busy") is logged, not thrown over body's error.
 * On systems without these commands the root is simply used as it is.
 */
export async function withWritableRoot<T>(deps: SystemDeps, body: () => Promise<T>): Promise<T> {
  const { runner, logger } = deps;
  if (await runner.has('rw')) await runChecked(runner, 'rw', []);
  let failed = true;
  try {
    const result = await body();
    failed = false;
    return result;
  } finally {
    if (await runner.has('ro')) {
      try {
        await runChecked(runner, 'ro', []);
      } catch (e) {
        if (!failed) throw e;
        logger.warn('could not remount the root read-only', { error: describe(e) });
      }
    }
  }
}

export async function systemctl(deps: SystemDeps, ...args: string[]): Promise<void> {
  deps.logger.info('systemctl', { args: args.join(' ') });
  await runChecked(deps.runner, 'systemctl', args);
}

/** Whether systemd knows a unit file of this name (kvmd-nginx exists on PiKVM OS only). */
export async function unitExists(deps: SystemDeps, unit: string): Promise<boolean> {
  const r = await deps.runner.run('systemctl', ['list-unit-files', '--no-legend', unit]);
  return r.code === 0 && r.stdout.split('\n').some((line) => line.trim().split(/\s+/)[0] === unit);
}

/** Throws a clear error unless `node` runs and is at least MIN_NODE_MAJOR. Returns its version. */
export async function checkNode(deps: SystemDeps, node: string): Promise<string> {
  const install = 'install it with: rw; pacman -S nodejs npm; ro';
  let version: string;
  try {
    const r = await deps.runner.run(node, ['--version']);
    if (r.code !== 0) throw new Error(r.stderr.trim() || `exit ${r.code}`);
    version = r.stdout.trim();
  } catch (e) {
    throw new AgentError('not-found', `pikvm-agent runs on ${node}, which does not work (${describe(e)}): ${install}`);
  }
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (!(major >= MIN_NODE_MAJOR)) {
    throw new AgentError('not-supported', `${node} is ${version || 'of unknown version'}; pikvm-agent needs Node.js >= ${MIN_NODE_MAJOR}: ${install}`);
  }
  return version;
}
