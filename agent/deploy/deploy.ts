/**
 * `pikvm-agent deploy --host root@pikvm`: from a worker or laptop, in one command, find the PiKVM's
 * architecture (`uname -m` and `getconf LONG_BIT` over ssh), build a bundle for it, copy it with scp into a fresh temporary
 * directory there, unpack it and run its `install`, then remove the temporary files on both sides.
 * `--remove [--purge]` runs the installed agent's `uninstall` instead.
 *
 * ssh and scp get argument arrays; the one remote command line is made of fixed words and paths
 * quoted for the remote shell (single quotes, as `printf %q` would protect them). The host is
 * validated so it cannot be read as an ssh option.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentError } from '../errors';
import { shellQuote, validateHost } from '../worker-kit/scripts';
import { BUNDLE_TOP } from './bundle';
import { CLI_ENTRY, OLD_CLI_ENTRY, SYSTEM_LAYOUT } from './layout';
import { runChecked } from './runner';
import type { SystemDeps } from './system';
import { targetForMachine, type TargetArch } from './targets';

export interface DeployOptions {
  host: string;
  arch: TargetArch | 'auto';
  remove: boolean;
  purge: boolean;
  /** Passed on as `install/uninstall --root` (an image tree on the PiKVM; tests). */
  remoteRoot?: string | undefined;
}

export interface DeployDeps extends SystemDeps {
  /** Writes a bundle for `arch` to `out` (createBundle in production). */
  bundle(arch: TargetArch, out: string): Promise<void>;
  /** Receives the remote install's output. */
  output(text: string): void;
}

const SSH_OPTIONS = ['-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=10'];
/** What mktemp may print: an absolute path of ordinary characters, nothing a shell would interpret. */
const SAFE_REMOTE_PATH = /^\/[A-Za-z0-9._/-]+$/;

const q = shellQuote;

async function ssh(deps: DeployDeps, host: string, remoteCommand: string): Promise<string> {
  const r = await runChecked(deps.runner, 'ssh', [...SSH_OPTIONS, '--', host, remoteCommand]);
  if (r.stderr.trim()) deps.output(r.stderr);
  return r.stdout;
}

function rootArgs(o: DeployOptions): string {
  return o.remoteRoot === undefined ? '' : ` --root ${q(o.remoteRoot)}`;
}

export async function detectArch(deps: DeployDeps, host: string): Promise<TargetArch> {
  const [machine = '', longBit = ''] = (await ssh(deps, host, 'uname -m && getconf LONG_BIT')).trim().split(/\s+/);
  const arch = targetForMachine(machine, Number(longBit));
  deps.logger.info('target architecture', { host, machine, userland_bits: longBit, arch });
  return arch;
}

/** The remote command that runs the installed agent's uninstall, or says it is not installed. */
export function removeCommand(o: DeployOptions): string {
  const [cli, old] = [CLI_ENTRY, OLD_CLI_ENTRY].map((entry) => q(path.posix.join(o.remoteRoot ?? '/', SYSTEM_LAYOUT.libDir, entry)));
  const args = `uninstall${o.purge ? ' --purge' : ''}${rootArgs(o)}`;
  return `if [ -e ${cli} ]; then node ${cli} ${args}; elif [ -e ${old} ]; then node ${old} ${args}; else echo 'pikvm-agent is not installed'; fi`;
}

/** The remote command that unpacks the bundle in `dir` and runs its install. */
export function installCommand(o: DeployOptions, dir: string, archive: string): string {
  const cli = path.posix.join(dir, BUNDLE_TOP, CLI_ENTRY);
  return `tar -xzf ${q(archive)} -C ${q(dir)} && node ${q(cli)} install${rootArgs(o)}`;
}

export async function deploy(o: DeployOptions, deps: DeployDeps): Promise<void> {
  const host = validateHost(o.host);
  if (o.remoteRoot !== undefined && !path.posix.isAbsolute(o.remoteRoot)) {
    throw new AgentError('bad-argument', `--remote-root must be an absolute path, got ${JSON.stringify(o.remoteRoot)}`);
  }
  if (o.remove) {
    deps.output(await ssh(deps, host, removeCommand(o)));
    return;
  }
  if (o.purge) throw new AgentError('bad-argument', '--purge goes with --remove');
  const arch = o.arch === 'auto' ? await detectArch(deps, host) : o.arch;

  const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-deploy-'));
  try {
    const bundle = path.join(localDir, `pikvm-agent-${arch}.tar.gz`);
    await deps.bundle(arch, bundle);
    const remoteDir = (await ssh(deps, host, 'mktemp -d -t pikvm-agent-deploy.XXXXXXXX')).trim();
    if (!SAFE_REMOTE_PATH.test(remoteDir)) throw new AgentError('io', `unexpected temporary directory from ${host}: ${JSON.stringify(remoteDir)}`);
    try {
      const archive = path.posix.join(remoteDir, 'bundle.tar.gz');
      deps.logger.info('copying bundle', { host, to: archive });
      await runChecked(deps.runner, 'scp', ['-q', ...SSH_OPTIONS, '--', bundle, `${host}:${archive}`]);
      deps.logger.info('installing', { host, arch });
      deps.output(await ssh(deps, host, installCommand(o, remoteDir, archive)));
    } finally {
      await ssh(deps, host, `rm -rf -- ${q(remoteDir)}`).catch((e: unknown) => deps.logger.warn('could not remove the remote temporary directory', { dir: remoteDir, error: String(e) }));
    }
  } finally {
    await fs.rm(localDir, { recursive: true, force: true });
  }
}
