/**
 * The `bundle`, `install`, `uninstall` and `deploy` commands (options in ./commands.ts): wiring of
 * the real runner, logger and bundler to agent/deploy/. Every module is imported before a command
 * runs: `uninstall` deletes the tree it runs from.
 */
import path from 'node:path';
import { AgentError, describe } from '../errors';
import { createLogger, type Logger, stderrSink } from '../log';
import { createBundle } from '../deploy/bundle';
import { deploy } from '../deploy/deploy';
import { install } from '../deploy/install';
import { SYSTEM_LAYOUT } from '../deploy/layout';
import { type CommandRunner, processRunner } from '../deploy/runner';
import { parseTargetArch, type TargetArch } from '../deploy/targets';
import { uninstall } from '../deploy/uninstall';
import { type CommandIo, type CommandRun, type OptionSpecs, UsageError } from './command';
import { findCommand } from './commands';
import { findPackageRoot } from '../version';
import { runCommand } from './dispatch';

export type DeployCommand = 'bundle' | 'install' | 'uninstall' | 'deploy';

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

function processDeployEnv(): DeployCliEnv {
  return {
    runner: processRunner(process.env),
    logger: createLogger('pikvm-agent', stderrSink),
    packageRoot: findPackageRoot(),
    cpu: process.arch,
    nodeForRoot: process.execPath,
  };
}

type Values = Record<string, string | boolean | string[] | undefined>;

async function dispatch(command: DeployCommand, values: Values, io: CommandIo, env: DeployCliEnv): Promise<number> {
  const deps = { runner: env.runner, logger: env.logger.child(command) };
  const text = (name: string) => values[name] as string | undefined;
  switch (command) {
    case 'bundle': {
      if (!text('arch') || !text('out')) throw new UsageError('bundle needs --arch and --out');
      const result = await createBundle({ sourceDir: env.packageRoot, arch: parseTargetArch(text('arch')!), out: text('out')!, ...deps });
      io.stdout.write(`${result.out}\n`);
      return 0;
    }
    case 'install': {
      const root = path.resolve(text('root') ?? '/');
      const node = root === '/' ? SYSTEM_LAYOUT.node : env.nodeForRoot;
      const report = await install({ bundleDir: env.packageRoot, root, node, cpu: env.cpu }, deps);
      io.stdout.write(
        `pikvm-agent ${report.version} installed (Node.js ${report.nodeVersion}); configuration ${report.configKept ? 'kept' : 'created'}: ${SYSTEM_LAYOUT.configFile}\n`,
      );
      return 0;
    }
    case 'uninstall': {
      const report = await uninstall({ root: path.resolve(text('root') ?? '/'), purge: values.purge === true }, deps);
      io.stdout.write(report.removed.length ? `pikvm-agent removed (${report.removed.length} paths)\n` : 'pikvm-agent was not installed\n');
      return 0;
    }
    case 'deploy': {
      const host = text('host');
      if (!host) throw new UsageError('deploy needs --host');
      const archValue = text('arch');
      const arch: TargetArch | 'auto' = archValue === undefined || archValue === 'auto' ? 'auto' : parseTargetArch(archValue);
      await deploy(
        { host, arch, remove: values.remove === true, purge: values.purge === true, remoteRoot: text('remote-root') },
        {
          ...deps,
          bundle: async (a, out) => void (await createBundle({ sourceDir: env.packageRoot, arch: a, out, ...deps })),
          output: (t) => void io.stdout.write(t),
        },
      );
      return 0;
    }
  }
}

/** The command's run; failures are one line (a deploy step's message says what failed). */
function runner(command: DeployCommand, env: () => DeployCliEnv): CommandRun<OptionSpecs> {
  return async (args, io) => {
    try {
      return await dispatch(command, args.values, io, env());
    } catch (e) {
      throw e instanceof UsageError || e instanceof AgentError ? e : new AgentError('io', describe(e), e);
    }
  };
}

/** The table's entry for `command`, with the real system. */
export function deployCommand(command: DeployCommand): CommandRun<OptionSpecs> {
  return runner(command, processDeployEnv);
}

/** Runs one command as the CLI does, with `env` for the system; resolves to the exit code. */
export function runDeployCommand(command: DeployCommand, args: string[], io: CommandIo, env?: DeployCliEnv): Promise<number> {
  return runCommand(findCommand(command)!, args, io, async () => runner(command, () => env ?? processDeployEnv()));
}
