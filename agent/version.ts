/** The agent's version: the one in package.json. */

/** Looks one level up from agent/ and two from the compiled dist/agent/. */
function packageVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'pikvm-agent' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export const AGENT_VERSION = packageVersion();
