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
