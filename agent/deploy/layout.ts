/**
 * Where an installed agent lives on the PiKVM. The paths the daemon itself reads (configuration,
 * EDID, kickstart templates, images, run directory) come from `platform/paths.ts`; the ones only the
 * installer knows (program tree, unit, nginx add-on, wrapper) are fixed here and match what
 * `systemd/pikvm-agent.service` (ExecStart) and `nginx/` expect.
 *
 * `root` prefixes every path, so `install --root DIR` fills a directory tree (tests, image builds);
 * the paths written *into* files (wrapper, config) are always the system ones.
 */
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, DEFAULT_EDID_FILE, DEFAULT_IMAGE_DIR, DEFAULT_KICKSTART_DIR } from '../platform/paths';

/** System paths, as the running PiKVM sees them. */
export const SYSTEM_LAYOUT = Object.freeze({
  /** The program tree: dist/, node_modules/, package.json, bundle.json. */
  libDir: '/usr/lib/pikvm-agent',
  unitFile: '/etc/systemd/system/pikvm-agent.service',
  /** kvmd-nginx includes `/usr/share/kvmd/extras/<name>/nginx.ctx-server.conf` (kvmd nginx.conf.mako). */
  nginxExtrasDir: '/usr/share/kvmd/extras/pikvm-agent',
  wrapper: '/usr/bin/pikvm-agent',
  /** The interpreter the unit's ExecStart and the wrapper run (pacman -S nodejs). */
  node: '/usr/bin/node',
  configDir: path.dirname(DEFAULT_CONFIG_FILE),
  configFile: DEFAULT_CONFIG_FILE,
  dropInDir: path.join(path.dirname(DEFAULT_CONFIG_FILE), 'agent.d'),
  edidDir: path.dirname(DEFAULT_EDID_FILE),
  kickstartDir: DEFAULT_KICKSTART_DIR,
  /** The state directory; `images` below it is the default storage.image_dirs entry. */
  stateDir: path.dirname(DEFAULT_IMAGE_DIR),
  imageDir: DEFAULT_IMAGE_DIR,
});

export type Layout = { -readonly [K in keyof typeof SYSTEM_LAYOUT]: string };

/** The layout below `root` ('/' for the real system). */
export function layoutUnder(root: string): Layout {
  const out = {} as Layout;
  for (const [key, value] of Object.entries(SYSTEM_LAYOUT) as [keyof Layout, string][]) {
    out[key] = path.join(root, value);
  }
  return out;
}

export const SERVICE = 'pikvm-agent.service';
export const NGINX_SERVICE = 'kvmd-nginx.service';

/** The nginx add-on files installed from the bundle's nginx/ (its README stays in the bundle). */
export const NGINX_FILES = ['nginx.ctx-server.conf', 'manifest.yaml'] as const;

/**
 * The `pikvm-agent` executable inside the program tree, the package root or the bundle (package.json
 * `bin`, the unit's ExecStart and the wrapper run it).
 */
export const CLI_ENTRY = 'dist/agent/cli/pikvm-agent.js';
/** Where it was before 0.2 (an installed older agent still has it there: `deploy --remove` runs it). */
export const OLD_CLI_ENTRY = 'dist/agent/cli.js';

/** What goes into libDir from the bundle. */
export const LIB_ENTRIES = ['dist', 'node_modules', 'package.json', 'bundle.json'] as const;
