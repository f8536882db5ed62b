/** The agent's package: where its package.json is, and the version it names. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The directory of pikvm-agent's package.json above `start` (agent/…, dist/agent/…, or a bundle). */
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

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The version in package.json ("unknown" if the package cannot be found). */
export const AGENT_VERSION = packageVersion();
