/**
 * `pikvm-agent uninstall`: stops and disables the service, removes the program, unit, wrapper and
 * nginx add-on. The configuration (/etc/pikvm-agent) and disk images (/var/lib/pikvm-agent) stay
 * unless `purge`. Idempotent: what is already gone is skipped, so a second run succeeds.
 *
 * It runs from the tree it deletes (/usr/lib/pikvm-agent): everything it needs is imported up
 * front, and Linux keeps the already-open files of a running process readable after unlink.
 */
import { promises as fs } from 'node:fs';
import { layoutUnder, NGINX_SERVICE, SERVICE } from './layout';
import { systemctl, type SystemDeps, unitExists, withWritableRoot } from './system';

export interface UninstallOptions {
  root: string;
  purge: boolean;
}

export interface UninstallReport {
  /** Paths (below root) that existed and were removed. */
  removed: string[];
  nginxRestarted: boolean;
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

export async function uninstall(o: UninstallOptions, deps: SystemDeps): Promise<UninstallReport> {
  const l = layoutUnder(o.root);
  return withWritableRoot(deps, async () => {
    if (await exists(l.unitFile)) await systemctl(deps, 'disable', '--now', SERVICE);
    const nginxInstalled = await exists(l.nginxExtrasDir);
    const targets = [l.unitFile, l.wrapper, l.libDir, `${l.libDir}.new`, `${l.libDir}.old`, l.nginxExtrasDir];
    if (o.purge) targets.push(l.configDir, l.stateDir);
    const removed: string[] = [];
    for (const target of targets) {
      if (!(await exists(target))) continue;
      await fs.rm(target, { recursive: true, force: true });
      removed.push(target);
    }
    deps.logger.info('files removed', { count: removed.length, purge: o.purge });
    await systemctl(deps, 'daemon-reload');
    const nginxRestarted = nginxInstalled && (await unitExists(deps, NGINX_SERVICE));
    if (nginxRestarted) await systemctl(deps, 'restart', NGINX_SERVICE);
    return { removed, nginxRestarted };
  });
}
