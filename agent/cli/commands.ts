/**
 * Every `pikvm-agent` command, in one table: its name, one-line summary, options (parsed by
 * node:util parseArgs, agent/cli/command.ts) and the module that runs it, imported only when it
 * runs so the clients a worker starts over ssh load little. `pikvm-agent --help`, `help NAME` and
 * the README's Commands section come from here (agent/cli/help.ts).
 */
import { TARGET_ARCHES } from '../deploy/targets';
import { DEFAULT_CONFIG_FILE, DEFAULT_IMAGE_DIR } from '../platform/paths';
import { command, type CommandSpec, type OptionSpecs } from './command';
import { CONFIG_OPTIONS } from './config-args';

// Headings of the command list, in order.
export const GROUPS = ['daemon', 'clients of the daemon', 'shims for os-autoinst', 'tools'] as const;

const ARCHES = TARGET_ARCHES.join('|');
const ROOT = { type: 'string', value: 'DIR', help: 'install below DIR instead of / (tests, images)' } as const;
const PURGE = { type: 'boolean', help: 'also remove /etc/pikvm-agent and /var/lib/pikvm-agent (images included)' } as const;

export const EDID_OPTIONS = {
  out: { type: 'string', value: 'FILE', help: 'fix: write here instead of FILE; make: write here instead of stdout' },
  format: { type: 'string', value: 'hex|bin', help: 'output format (fix: the input\'s; make: hex)' },
  name: { type: 'string', value: 'NAME', help: 'make: the monitor name (up to 13 characters)' },
  'reduced-blanking': { type: 'boolean', help: 'make: CVT reduced blanking' },
  hdmi: { type: 'boolean', help: 'make: add a CTA-861 block declaring an HDMI sink (default: DVI, one block)' },
} as const satisfies OptionSpecs;

export const WORKER_KIT_OPTIONS = {
  host: { type: 'string', value: 'PIKVM', help: 'ssh destination of the PiKVM (e.g. root@pikvm)' },
  local: { type: 'boolean', help: 'the agent runs on this machine (instead of --host)' },
  out: { type: 'string', value: 'DIR', help: "where to write the scripts (the worker's GENERAL_HW_CMD_DIR)" },
  'power-on': { type: 'string', value: 'CMD', help: 'command switching the SUT on (split on spaces, run without a shell; idempotent)' },
  'power-off': { type: 'string', value: 'CMD', help: 'command switching the SUT off (idempotent: os-autoinst calls it twice in a row)' },
  agent: { type: 'string', value: 'CMD', help: 'the agent command on the PiKVM (default: pikvm-agent)' },
  'image-dir': { type: 'string', value: 'DIR', help: `an image directory of the agent on the PiKVM (default: ${DEFAULT_IMAGE_DIR})` },
  'http-host': { type: 'string', value: 'H', help: "the agent's HTTP address for Debian 12's stream URL (default: the PiKVM's host)" },
  'http-port': { type: 'string', value: 'N', help: "the agent's HTTP port (default: 8780)" },
  'video-size': { type: 'string', value: 'WxH', help: "the jobs' screen (XRES x YRES): larger frames are scaled to it on the PiKVM (default: 1024x768)" },
  'off-timeout': { type: 'string', value: 'SECONDS', help: 'pikvm-poweroff waits up to this for the HDMI signal to go, and fails if it stays (default: 30; 0: no wait)' },
  token: { type: 'string', value: 'T', help: "the agent's http.token, put into Debian 12's stream URL (&token=T)" },
  'token-file': { type: 'string', value: 'F', help: 'the same, read from the first line of F' },
} as const satisfies OptionSpecs;

export const COMMANDS: readonly CommandSpec[] = [
  command({
    name: 'serve',
    group: 'daemon',
    summary: 'run the daemon (--simulate: the built-in simulated PiKVM, no hardware)',
    args: '',
    options: CONFIG_OPTIONS,
    details: `Configuration, in increasing precedence: defaults, ${DEFAULT_CONFIG_FILE} (or --config), its agent.d/*.yaml,
PIKVM_AGENT_<SECTION>__<KEY> variables, then the flags. A configuration error exits 78.`,
    load: async () => (await import('./daemon.js')).serve,
  }),
  command({
    name: 'print-config',
    group: 'daemon',
    summary: 'print the effective configuration and the files it was read from',
    args: '',
    options: CONFIG_OPTIONS,
    details: 'Takes the flags of serve and prints what serve would use with them, as YAML; the comment at the top lists the files read.',
    load: async () => (await import('./daemon.js')).printConfig,
  }),
  command({
    name: 'input',
    group: 'clients of the daemon',
    summary: "stdin lines to the control socket, one reply per line on stdout (a worker's GENERAL_HW_INPUT_CMD)",
    args: '',
    options: { screen: { type: 'string', value: 'WxH', help: "mouse_move positions are in a WxH space (os-autoinst's XRES×YRES) instead of hid.screen_width×height" } },
    details: 'Exits 0 when stdin ends and every reply has arrived.',
    load: async () => (await import('./client.js')).inputCommand,
  }),
  command({
    name: 'ctl',
    group: 'clients of the daemon',
    summary: 'send one control command, print its reply; exit 1 on an error reply',
    args: 'COMMAND [ARGS…]',
    argv: 'leading',
    options: { json: { type: 'boolean', help: 'print only the reply\'s JSON value (for jq); an error reply goes to stderr' } },
    details: 'Options go before COMMAND; everything from COMMAND on is sent as it is (ctl storage attach --cdrom F).',
    load: async () => (await import('./client.js')).ctlCommand,
  }),
  command({
    name: 'signal',
    group: 'clients of the daemon',
    summary: "exit 0 when the SUT's HDMI signal is as expected, 1 when not, 2 when the agent cannot tell",
    args: '',
    options: {
      expect: { type: 'string', value: 'on|off', help: 'the state asked about (default: on)' },
      wait: { type: 'string', value: 'SECONDS', help: 'ask every 100 ms until it is so, up to SECONDS (0..600; power scripts)' },
    },
    load: async () => (await import('./signal.js')).signalCommand,
  }),
  command({
    name: 'ffmpeg',
    group: 'shims for os-autoinst',
    summary: 'PPM frames from the daemon on stdout, for GENERAL_HW_VIDEO_CMD_PREFIX',
    args: '[--size WxH] -loglevel LEVEL -i /dev/videoN -vcodec ppm -f rawvideo -r FPS -',
    argv: 'raw',
    options: {},
    details: "Takes exactly the arguments os-autoinst gives ffmpeg; --size WxH (ours, first) scales larger frames to WxH.",
    load: async () => (await import('./ffmpeg.js')).ffmpegCommand,
  }),
  command({
    name: 'v4l2-ctl',
    group: 'shims for os-autoinst',
    summary: 'DV timings and EDID through the daemon, printed as v4l2-ctl does',
    args: '--device /dev/videoN --concise --get-dv-timings|--query-dv-timings|--set-dv-bt-timings query|--set-edid file=F|type=hdmi',
    argv: 'raw',
    options: {},
    load: async () => (await import('./v4l2-ctl.js')).v4l2CtlCommand,
  }),
  command({
    name: 'edid',
    group: 'tools',
    summary: 'decode, check, fix and make EDID files',
    args: 'decode FILE | check FILE | fix FILE | make WxH[@Hz]',
    options: EDID_OPTIONS,
    details: `decode prints a summary and the problems, check only the problems (exit 1 when invalid); fix recomputes
every block checksum; make generates an EDID (DMT, else CVT). FILE may be binary, hex text (v4l2-ctl, PiKVM)
or an edid-decode dump.`,
    load: async () => (await import('./edid.js')).edidCommand,
  }),
  command({
    name: 'worker-kit',
    group: 'tools',
    summary: "write an openQA worker's GENERAL_HW_CMD_DIR scripts, print its workers.ini block",
    args: '',
    options: WORKER_KIT_OPTIONS,
    details: 'Needs one of --host or --local, and --out, --power-on, --power-off.',
    load: async () => (await import('./worker-kit.js')).workerKitCommand,
  }),
  command({
    name: 'bundle',
    group: 'tools',
    summary: 'a self-contained bundle for a PiKVM (on a build machine, after npm run build)',
    args: '',
    options: {
      arch: { type: 'string', value: ARCHES, help: "the PiKVM's architecture (required)" },
      out: { type: 'string', value: 'FILE.tar.gz', help: 'the bundle to write (required)' },
    },
    load: async () => (await import('./deploy.js')).deployCommand('bundle'),
  }),
  command({
    name: 'install',
    group: 'tools',
    summary: 'install and start the service from an unpacked bundle (as root on the PiKVM)',
    args: '',
    options: { root: ROOT },
    load: async () => (await import('./deploy.js')).deployCommand('install'),
  }),
  command({
    name: 'uninstall',
    group: 'tools',
    summary: 'stop and remove the service (as root on the PiKVM)',
    args: '',
    options: { root: ROOT, purge: PURGE },
    load: async () => (await import('./deploy.js')).deployCommand('uninstall'),
  }),
  command({
    name: 'deploy',
    group: 'tools',
    summary: 'bundle, copy and install (or --remove) over ssh in one command',
    args: '',
    options: {
      host: { type: 'string', value: '[USER@]PIKVM', help: 'ssh destination of the PiKVM (required)' },
      arch: { type: 'string', value: `auto|${ARCHES}`, help: 'the bundle to build (default: auto, from uname -m on the PiKVM)' },
      remove: { type: 'boolean', help: 'uninstall instead' },
      purge: { ...PURGE, help: 'with --remove: ' + PURGE.help },
      'remote-root': { type: 'string', value: 'DIR', help: 'install below DIR on the PiKVM instead of /' },
    },
    load: async () => (await import('./deploy.js')).deployCommand('deploy'),
  }),
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
