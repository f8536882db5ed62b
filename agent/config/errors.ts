/**
 * Configuration errors. Every one names where the bad value came from (a file path, an environment
 * variable, a command-line flag) and the key path inside the schema, so that a typo in a drop-in is
 * found without reading code: `/etc/pikvm-agent/agent.d/10-lab.yaml: hid.screen_width: expected …`.
 */
export class ConfigError extends Error {
  constructor(
    /** The file path, environment variable name or command-line flag the value came from. */
    readonly source: string,
    /** Dotted key path (`hid.screen_width`); '' when the error concerns the source as a whole. */
    readonly keyPath: string,
    /** What is wrong, without source and key path. */
    readonly detail: string,
  ) {
    super(keyPath === '' ? `${source}: ${detail}` : `${source}: ${keyPath}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/**
 * Thrown by value parsers, which know neither source nor key path; the caller wraps it into a
 * ConfigError. `subPath` locates the offending element inside a list or map (`[2]`, `.arch`).
 */
export class ValueError extends Error {
  constructor(
    message: string,
    readonly subPath = '',
  ) {
    super(message);
    this.name = 'ValueError';
  }
}
