/**
 * The `bundle`, `install`, `uninstall` and `deploy` subcommands: argument parsing and wiring of the
 * real runner, logger and bundler. Errors are reported here, not by the main CLI: `uninstall` deletes
 * the tree it runs from, so nothing may be loaded lazily after it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describe } from '../errors';
import { createLogger, type Logger, stderrSink } from '../log';
import { createBundle } from './bundle';
import { deploy } from './deploy';
import { install } from './install';
import { SYSTEM_LAYOUT } from './layout';
import { type CommandRunner, processRunner } from './runner';
import { parseTargetArch, TARGET_ARCHES, type TargetArch } from './targets';
import { uninstall } from './uninstall';

export const DEPLOY_USAGE = `usage:
  pikvm-agent bundle --arch ${TARGET_ARCHES.join('|')} --out FILE.tar.gz
                      (on a build machine, after npm run build) a self-contained bundle for a PiKVM
  pikvm-agent install [--root DIR]
                      (as root on the PiKVM, from an unpacked bundle) install and start the service
  pikvm-agent uninstall [--root DIR] [--purge]
                      stop and remove it; --purge also removes /etc/pikvm-agent and the images
  pikvm-agent deploy --host [USER@]PIKVM [--arch auto|${TARGET_ARCHES.join('|')}] [--remote-root DIR]
  pikvm-agent deploy --host [USER@]PIKVM --remove [--purge] [--remote-root DIR]
                      bundle, copy and install (or remove) over ssh in one command
`;

export type DeployCommand = 'bundle' | 'install' | 'uninstall' | 'deploy';

export interface DeployCliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** What the commands use from the system; tests swap PATH, the package root and the CPU. */
export interface DeployCliEnv {
  runner: CommandRunner;
  logger: Logger;
  /** The directory with package.json: the repository (bundle, deploy) or the unpacked bundle (install). */
  packageRoot: string;
  /** process.arch of the Node.js running the installer. */
  cpu: string;
  /** Node.js that install checks when --root is given (the system's /usr/bin/node otherwise). */
  nodeForRoot: string;
}

/** The nearest directory above this file whose package.json is pikvm-agent's (from agent/ or dist/agent/). */
export function findPackageRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'pikvm-agent') return dir;
    } catch {
      // not here
    }
    if (path.dirname(dir) === dir) throw new Error(`no pikvm-agent package.json above ${start}`);
  }
}

export function processDeployEnv(): DeployCliEnv {
  return {
    runner: processRunner(process.env),
    logger: createLogger('pikvm-agent', stderrSink),
    packageRoot: findPackageRoot(),
    cpu: process.arch,
    nodeForRoot: process.execPath,
  };
}

class DeployUsageError extends Error {}

async function dispatch(command: DeployCommand, args: string[], io: DeployCliIo, env: DeployCliEnv): Promise<number> {
  const deps = { runner: env.runner, logger: env.logger.child(command) };
  switch (command) {
    case 'bundle': {
      const { values } = parseArgs({ args, options: { arch: { type: 'string' }, out: { type: 'string' } }, strict: true, allowPositionals: false });
      if (!values.arch || !values.out) throw new DeployUsageError('bundle needs --arch and --out');
      const result = await createBundle({ sourceDir: env.packageRoot, arch: parseTargetArch(values.arch), out: values.out, ...deps });
      io.stdout.write(`${result.out}\n`);
      return 0;
    }
    case 'install': {
      const { values } = parseArgs({ args, options: { root: { type: 'string' } }, strict: true, allowPositionals: false });
      const root = path.resolve(values.root ?? '/');
      const node = root === '/' ? SYSTEM_LAYOUT.node : env.nodeForRoot;
      const report = await install({ bundleDir: env.packageRoot, root, node, cpu: env.cpu }, deps);
      io.stdout.write(
        `pikvm-agent ${report.version} installed (Node.js ${report.nodeVersion}); configuration ${report.configKept ? 'kept' : 'created'}: ${SYSTEM_LAYOUT.configFile}\n`,
      );
      return 0;
    }
    case 'uninstall': {
      const { values } = parseArgs({ args, options: { root: { type: 'string' }, purge: { type: 'boolean' } }, strict: true, allowPositionals: false });
      const report = await uninstall({ root: path.resolve(values.root ?? '/'), purge: values.purge ?? false }, deps);
      io.stdout.write(report.removed.length ? `pikvm-agent removed (${report.removed.length} paths)\n` : 'pikvm-agent was not installed\n');
      return 0;
    }
    case 'deploy': {
      const { values } = parseArgs({
        args,
        options: { host: { type: 'string' }, arch: { type: 'string' }, remove: { type: 'boolean' }, purge: { type: 'boolean' }, 'remote-root': { type: 'string' } },
        strict: true,
        allowPositionals: false,
      });
      if (!values.host) throw new DeployUsageError('deploy needs --host');
      const arch: TargetArch | 'auto' = values.arch === undefined || values.arch === 'auto' ? 'auto' : parseTargetArch(values.arch);
      await deploy(
        { host: values.host, arch, remove: values.remove ?? false, purge: values.purge ?? false, remoteRoot: values['remote-root'] },
        {
          ...deps,
          bundle: async (a, out) => void (await createBundle({ sourceDir: env.packageRoot, arch: a, out, ...deps })),
          output: (text) => void io.stdout.write(text),
        },
      );
      return 0;
    }
  }
}

/** Runs one subcommand; resolves to the exit code (2 usage, 1 failure) and never rejects. */
export async function runDeployCommand(command: DeployCommand, args: string[], io: DeployCliIo, env?: DeployCliEnv): Promise<number> {
  try {
    return await dispatch(command, args, io, env ?? processDeployEnv());
  } catch (e) {
    const usage = e instanceof DeployUsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.stderr.write(`pikvm-agent ${command}: ${describe(e)}\n${usage ? `\n${DEPLOY_USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
}

