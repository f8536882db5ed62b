/**
 * The configuration schema: every key, its type, its range and its default. Adding a key is one
 * line here; `AgentConfig` follows from this table. YAML keys are snake_case, and so are the
 * property names of `AgentConfig`.
 */
import { join } from 'node:path';
import {
  DEFAULT_EDID_FILE,
  DEFAULT_IMAGE_DIR,
  DEFAULT_KICKSTART_DIR,
  DEFAULT_USTREAMER_SOCKET,
  DEFAULT_VIDEO_DEVICE,
  SYSTEM_PATHS,
} from '../platform/paths';
import { SPACE_MAX, SPACE_MIN } from '../hid/space';
import { DEFAULT_LIMITS } from '../kickstart/store';
import { queryVarList } from './query-vars';
import { bool, Field, int, list, listen, mode, oneOf, path, str, stringMap, u16 } from './types';

/** A configfs directory or template name: no separators, not `.`/`..`. */
const FILE_NAME = { pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, shape: 'a name of letters, digits, _ . -', min: 1 };
/** A Unix group name as groupadd accepts it, or '' to leave the socket's group alone. */
const GROUP_NAME = { pattern: /^(?:|[A-Za-z_][A-Za-z0-9_-]*\$?)$/, shape: "a group name or ''" };
/**
 * USB string descriptors hold at most 126 UTF-16 code units (bLength is a byte: (255 - 2) / 2);
 * the kernel refuses longer gadget strings (USB_MAX_STRING_LEN, include/linux/usb/gadget.h).
 */
const USB_STRING_MAX = 126;
const MiB = 1024 * 1024;

export const SCHEMA = {
  log: {
    level: oneOf(['debug', 'info', 'warn', 'error'] as const).default('info'),
  },
  run_dir: path().default(SYSTEM_PATHS.runDir),
  control: {
    socket: path().derive('run_dir', (dir) => join(String(dir), 'control.sock')),
    group: str(32, GROUP_NAME).default(''),
    mode: mode().default(0o660),
    max_line: int(128, 65536).default(4096),
    // Clients served at once: os-autoinst holds one input connection per job, `ctl` and the power
    // scripts a few short ones; the cap keeps a flood far below LimitNOFILE (4096 in the unit).
    max_connections: int(1, 1024).default(64),
    // A line started but not ended (no LF) within this time is refused and the connection closed.
    // Every real client writes whole lines, so this only catches stalled or hostile ones.
    line_timeout_s: int(0, 3600).default(60), // 0 = no bound
    // os-autoinst keeps its input connection open, silent, for as long as a test waits on the
    // screen (hours in an installation): an idle timeout would end real jobs, so none by default.
    idle_timeout_s: int(0, 7 * 24 * 3600).default(0), // 0 = never
  },
  gadget: {
    name: str(64, FILE_NAME).default('pikvm-agent'),
    udc: str(64).default(''), // '' = the first entry of class/udc
    vendor_id: u16().default(0x1d6b), // Linux Foundation, as kvmd's gadget
    product_id: u16().default(0x0104), // Multifunction Composite Gadget
    bcd_device: u16().default(0x0100),
    bcd_usb: u16().default(0x0200),
    manufacturer: str(USB_STRING_MAX).default('PiKVM'),
    product: str(USB_STRING_MAX).default('pikvm-agent composite device'),
    serial: str(USB_STRING_MAX).default('pikvm-agent'),
    max_power: int(0, 500).default(250), // mA; USB 2.0 bus power is at most 500 mA
  },
  hid: {
    // The clients' coordinate space for `mouse_move` (os-autoinst's XRES×YRES), not the SUT's mode.
    screen_width: int(SPACE_MIN, SPACE_MAX).default(1024),
    screen_height: int(SPACE_MIN, SPACE_MAX).default(768),
  },
  storage: {
    luns: int(1, 8).default(1), // f_mass_storage FSG_MAX_LUNS is 16; we expose at most 8
    image_dirs: list(path()).default([DEFAULT_IMAGE_DIR]),
    // SCSI INQUIRY fields, padded by the kernel as "%-8.8s%-16.16s%-4.4s" (f_mass_storage)
    inquiry_vendor: str(8, { ascii: true }).default('PiKVM'),
    inquiry_product: str(16, { ascii: true }).default('pikvm-agent MSD'),
    inquiry_revision: str(4, { ascii: true }).default('0.1'),
  },
  http: {
    listen: listen().default('127.0.0.1:8780'),
    unix_socket: path({ optional: true }).derive('run_dir', (dir) => join(String(dir), 'http.sock')),
    // Stream responses at once: os-autoinst reads one, a person watching a second. A client that
    // never reads pins one frame (6 MB at 1080p), so the cap keeps them under the unit's MemoryMax.
    max_streams: int(1, 64).default(8),
    // The request line and headers must arrive within this time (Node's headersTimeout; it also
    // closes connections that never send anything). Every client here sends a bare GET.
    headers_timeout_s: int(1, 3600).default(10),
    // The whole request (Node's requestTimeout: receiving it, not the response, so streams last).
    request_timeout_s: int(1, 3600).default(30),
    // An idle keep-alive connection is closed after this time.
    keep_alive_timeout_s: int(1, 3600).default(5),
    // Access token for every route but the kickstart files; required on a non-loopback `listen`.
    token: str(256, { pattern: /^[A-Za-z0-9._~-]*$/, shape: 'letters, digits, . _ ~ -' }).default(''),
    token_file: path({ optional: true }).default(''),
    // Serve a non-loopback `listen` without a token: anyone who can reach it sees the screen.
    public: bool().default(false),
  },
  video: {
    source: oneOf(['v4l2', 'ustreamer', 'sim'] as const).default('v4l2'),
    device: path().default(DEFAULT_VIDEO_DEVICE),
    edid: path().default(DEFAULT_EDID_FILE),
    default_fps: int(1, 60).default(2),
    max_fps: int(1, 60).default(30),
    swap_rb: bool().default(false), // TC358743 on V4 Plus delivers RGB24 as BGR (ustreamer --format-swap-rgb)
    ustreamer_socket: path().default(DEFAULT_USTREAMER_SOCKET),
  },
  handoff: {
    enabled: bool().default(true),
    idle_release_s: int(0, 7 * 24 * 3600).default(600), // 0 = never release on idle
    cooperative_video: bool().default(false),
  },
  kickstart: {
    dir: path().default(DEFAULT_KICKSTART_DIR),
    default: str(64, FILE_NAME).default('ks'),
    vars: stringMap(str(4096)).default({}),
    query_vars: queryVarList().default([]), // names, or {name, pattern, max_length} (config/query-vars.ts)
    // Uploads live in <run_dir>/kickstart: RAM on a PiKVM, charged to the agent's memory limit.
    max_template_bytes: int(1024, 16 * MiB).default(DEFAULT_LIMITS.templateBytes),
    max_uploads: int(1, 10_000).default(DEFAULT_LIMITS.uploads),
    max_upload_bytes: int(1024, 1024 * MiB).default(DEFAULT_LIMITS.uploadBytes),
  },
} as const;

interface SchemaSection {
  readonly [key: string]: Field<any> | SchemaSection;
}

type ConfigOf<S> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : ConfigOf<S[K]>;
};

/** The effective configuration, validated and complete. */
export type AgentConfig = ConfigOf<typeof SCHEMA>;

function isField(node: Field<any> | SchemaSection): node is Field<any> {
  return node.kind === 'field';
}

/** Every key path of the schema mapped to its field, in schema order, plus the section paths. */
function flatten(section: SchemaSection, prefix: string, fields: Map<string, Field<unknown>>, sections: Set<string>) {
  for (const [key, node] of Object.entries(section)) {
    const keyPath = prefix === '' ? key : `${prefix}.${key}`;
    if (isField(node)) fields.set(keyPath, node);
    else {
      sections.add(keyPath);
      flatten(node, keyPath, fields, sections);
    }
  }
}

export const FIELDS: ReadonlyMap<string, Field<unknown>> = new Map();
export const SECTIONS: ReadonlySet<string> = new Set();
flatten(SCHEMA, '', FIELDS as Map<string, Field<unknown>>, SECTIONS as Set<string>);
