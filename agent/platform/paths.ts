/**
 * The only place absolute system paths live. Every module receives a `Paths` and joins below it,
 * so tests and the simulated PiKVM swap the whole tree by changing one object (kvmd does the same
 * with one swappable prefix).
 */
export interface Paths {
  /** configfs mount point; the gadget lives under `<configfsRoot>/usb_gadget`. */
  configfsRoot: string;
  /** sysfs mount point (`class/udc`, `dev/char`). */
  sysfsRoot: string;
  /** device nodes (`hidgN`, `videoN`). */
  devRoot: string;
  /** runtime state (control socket, lease file). */
  runDir: string;
}

export const SYSTEM_PATHS: Readonly<Paths> = Object.freeze({
  configfsRoot: '/sys/kernel/config',
  sysfsRoot: '/sys',
  devRoot: '/dev',
  runDir: '/run/pikvm-agent',
});

/** Where the configuration is read from unless `--config` says otherwise. */
export const DEFAULT_CONFIG_FILE = '/etc/pikvm-agent/agent.yaml';

/** Defaults of configuration keys that name system files (see `agent/config/schema.ts`). */
export const DEFAULT_IMAGE_DIR = '/var/lib/pikvm-agent/images';
export const DEFAULT_VIDEO_DEVICE = '/dev/kvmd-video';
export const DEFAULT_EDID_FILE = '/etc/pikvm-agent/edid/1024x768.hex';
export const DEFAULT_USTREAMER_SOCKET = '/run/kvmd/ustreamer.sock';
export const DEFAULT_KICKSTART_DIR = '/etc/pikvm-agent/kickstart';
