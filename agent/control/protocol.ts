/**
 * The control line protocol: a pure parser from one line (already framed, CR stripped) to a typed
 * command. The core never sees raw text.
 *
 * It is a superset of what clients already send:
 * - os-autoinst's generalhw backend (`backend/generalhw.pm`, upstream PR #2514 for replies): one key
 *   or combo per line (`a`, `A`, `!`, `ctrl-alt-delete`, `spc`, `ret`), `mouse_move X Y`,
 *   `mouse_button MASK`;
 * - QubesOS `gadget-control`: `type TEXT`, `cmd TEXT`, `reconnect`;
 * - our own: `screen [W H]`, `storage …`, `status`, `ping`, `release`, and the simulated PiKVM's
 *   `sim …` group.
 *
 * Every line is answered by exactly one reply (see `reply.ts`); a line this parser rejects yields a
 * `ProtocolError` that becomes `error: <code> <message>`.
 */
import { AgentError } from '../errors';
import { type ScreenSize, SPACE_MAX, SPACE_MIN } from '../hid/space';

export type Command =
  | { kind: 'key'; combo: string }
  | { kind: 'type'; text: string; enter: boolean }
  | { kind: 'mouse-move'; x: number; y: number }
  | { kind: 'screen'; size: ScreenSize | null }
  | { kind: 'mouse-button'; mask: number }
  | { kind: 'mouse-wheel'; delta: number }
  | { kind: 'release-keys' }
  | { kind: 'acquire'; holder: string }
  | { kind: 'release' }
  | { kind: 'kickstart-set'; name: string; body: string }
  | { kind: 'kickstart-list' }
  | { kind: 'kickstart-delete'; name: string }
  | { kind: 'video-timings' }
  | { kind: 'video-query' }
  | { kind: 'video-apply' }
  | { kind: 'video-edid'; path: string | null }
  | { kind: 'reconnect' }
  | { kind: 'ping' }
  | { kind: 'status' }
  | { kind: 'storage-attach'; lun: number; path: string; cdrom: boolean; readWrite: boolean }
  | { kind: 'storage-eject'; lun: number }
  | { kind: 'storage-status' }
  | { kind: 'sim-text' }
  | { kind: 'sim-pointer' }
  | { kind: 'sim-events' }
  | { kind: 'sim-clear' }
  | { kind: 'sim-host'; online: boolean }
  | { kind: 'sim-power'; on: boolean | null }
  | { kind: 'sim-mode'; width: number; height: number }
  | { kind: 'sim-sut' };

/**
 * Pixel coordinates are bounded so nothing downstream sees absurd values; within the bound, a
 * position past the client space's edge is clamped to it (HidService.pointerMove) rather than
 * refused: upstream os-autoinst dies on any reply but `ok` (consoles/video_stream.pm), and its
 * VNC path sends such a move (a test's mouse_set past XRES) without complaint. Its own wiggle
 * (consoles/video_base.pm, _mouse_move: ±5 px towards the centre) never leaves the space.
 */
const MAX_COORDINATE = 65535;
/** Mouse button bits: 1 left, 2 right, 4 middle, 8 back, 16 forward (os-autoinst sends 0, 1, 2, 4). */
const MAX_BUTTON_MASK = 0x1f;
const MAX_LUN = 7;

const bad = (message: string) => new AgentError('bad-command', message);
const badArg = (message: string) => new AgentError('bad-argument', message);

/** A non-negative decimal integer, nothing else (no sign, no hex, no spaces). */
function parseUint(text: string | undefined, what: string, max: number): number {
  if (text === undefined || !/^\d{1,9}$/.test(text)) throw badArg(`${what} must be a non-negative integer, got ${quote(text)}`);
  const n = Number(text);
  if (n > max) throw badArg(`${what} must be at most ${max}, got ${n}`);
  return n;
}

function parseInt8(text: string | undefined, what: string): number {
  if (text === undefined || !/^-?\d{1,4}$/.test(text)) throw badArg(`${what} must be an integer, got ${quote(text)}`);
  const n = Number(text);
  if (n < -127 || n > 127) throw badArg(`${what} must be within -127..127, got ${n}`);
  return n;
}

function quote(text: string | undefined): string {
  return text === undefined ? 'nothing' : JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function expectArgs(words: string[], count: number, usage: string): void {
  if (words.length !== count) throw bad(`usage: ${usage}`);
}

function parseStorage(words: string[]): Command {
  const sub = words[1];
  const usageAttach = 'storage attach [--lun N] [--cdrom] [--rw] PATH';
  if (sub === 'status') {
    expectArgs(words, 2, 'storage status');
    return { kind: 'storage-status' };
  }
  if (sub !== 'attach' && sub !== 'eject') throw bad(`usage: ${usageAttach} | storage eject [--lun N] | storage status`);
  let lun = 0;
  let cdrom = false;
  let readWrite = false;
  const rest: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--lun') lun = parseUint(words[++i], '--lun', MAX_LUN);
    else if (sub === 'attach' && w === '--cdrom') cdrom = true;
    else if (sub === 'attach' && w === '--rw') readWrite = true;
    else if (w.startsWith('--')) throw bad(`unknown option ${quote(w)} for storage ${sub}`);
    else rest.push(w);
  }
  if (sub === 'eject') {
    if (rest.length) throw bad('usage: storage eject [--lun N]');
    return { kind: 'storage-eject', lun };
  }
  if (rest.length !== 1) throw bad(`usage: ${usageAttach} (PATH without spaces)`);
  if (cdrom && readWrite) throw badArg('a CD-ROM is read-only: --cdrom and --rw exclude each other');
  return { kind: 'storage-attach', lun, path: rest[0]!, cdrom, readWrite };
}

/** The capture side, as `pikvm-agent v4l2-ctl` needs it (os-autoinst's DV-timings polling). */
function parseVideo(words: string[]): Command {
  const usage = 'usage: video timings | video query | video apply | video edid PATH | video edid default';
  const sub = words[1];
  if (words.length === 2 && sub === 'timings') return { kind: 'video-timings' };
  if (words.length === 2 && sub === 'query') return { kind: 'video-query' };
  if (words.length === 2 && sub === 'apply') return { kind: 'video-apply' };
  if (words.length === 3 && sub === 'edid') return { kind: 'video-edid', path: words[2] === 'default' ? null : words[2]! };
  throw bad(usage);
}

/** Screen modes the virtual SUT may switch to (what an EDID could offer). */
const MIN_MODE = 64;
const MAX_MODE = 4096;

function parseSim(words: string[]): Command {
  if (words[1] === 'mode') {
    expectArgs(words, 4, 'sim mode WIDTH HEIGHT');
    const width = parseUint(words[2], 'WIDTH', MAX_MODE);
    const height = parseUint(words[3], 'HEIGHT', MAX_MODE);
    if (width < MIN_MODE || height < MIN_MODE) throw badArg(`a mode is at least ${MIN_MODE}x${MIN_MODE}`);
    return { kind: 'sim-mode', width, height };
  }
  const sub = words.slice(1).join(' ');
  switch (sub) {
    case 'text':
      return { kind: 'sim-text' };
    case 'pointer':
      return { kind: 'sim-pointer' };
    case 'events':
      return { kind: 'sim-events' };
    case 'clear':
      return { kind: 'sim-clear' };
    case 'host online':
      return { kind: 'sim-host', online: true };
    case 'host offline':
      return { kind: 'sim-host', online: false };
    case 'power':
      return { kind: 'sim-power', on: null };
    case 'power on':
      return { kind: 'sim-power', on: true };
    case 'power off':
      return { kind: 'sim-power', on: false };
    case 'sut':
      return { kind: 'sim-sut' };
    default:
      throw bad(
        'usage: sim text | sim pointer | sim events | sim clear | sim host online|offline | sim power [on|off] | sim mode W H | sim sut',
      );
  }
}

/** `screen` (this connection's coordinate space) or `screen W H` (set it). */
function parseScreen(words: string[]): Command {
  if (words.length === 1) return { kind: 'screen', size: null };
  expectArgs(words, 3, 'screen [WIDTH HEIGHT]');
  const width = parseUint(words[1], 'WIDTH', SPACE_MAX);
  const height = parseUint(words[2], 'HEIGHT', SPACE_MAX);
  if (width < SPACE_MIN || height < SPACE_MIN) throw badArg(`a coordinate space is at least ${SPACE_MIN}x${SPACE_MIN}, got ${width}x${height}`);
  return { kind: 'screen', size: { width, height } };
}

const HOLDER = /^[A-Za-z0-9._:@-]{1,64}$/;

/**
 * `kickstart set NAME` is the one command with a body: the template's lines follow, ended by a line
 * holding a single `.`; a body line starting with `.` is sent with one more `.` (SMTP's DATA rule,
 * RFC 5321 4.5.2). Returns the template name when `line` opens a body, else null.
 */
export function bodyCommandName(line: string): string | null {
  const m = /^kickstart set (\S+)$/.exec(line);
  return m ? m[1]! : null;
}

/** Undo dot-stuffing of one body line; null for the terminating `.` line. */
export function unstuffBodyLine(line: string): string | null {
  if (line === '.') return null;
  return line.startsWith('.') ? line.slice(1) : line;
}

/** Characters allowed in a line: printable ASCII, tab, and non-ASCII text (typed or refused later). */
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Parse one line (without its line terminator). Throws AgentError. */
export function parseCommand(line: string): Command {
  if (CONTROL_CHARS.test(line)) throw bad('the line contains control characters');
  if (line === '') throw bad('empty line');
  // `type` and `cmd` take the rest of the line verbatim (gadget-control semantics): spaces kept.
  const typed = /^(type|cmd)(?: (.*))?$/s.exec(line);
  if (typed) return { kind: 'type', text: typed[2] ?? '', enter: typed[1] === 'cmd' };

  const words = line.split(' ');
  if (words.some((w) => w === '')) throw bad('words must be separated by single spaces');
  const verb = words[0]!;
  switch (verb) {
    case 'mouse_move':
      expectArgs(words, 3, 'mouse_move X Y');
      return {
        kind: 'mouse-move',
        x: parseUint(words[1], 'X', MAX_COORDINATE),
        y: parseUint(words[2], 'Y', MAX_COORDINATE),
      };
    case 'screen':
      return parseScreen(words);
    case 'mouse_button':
      expectArgs(words, 2, 'mouse_button MASK');
      return { kind: 'mouse-button', mask: parseUint(words[1], 'MASK', MAX_BUTTON_MASK) };
    case 'mouse_wheel':
      expectArgs(words, 2, 'mouse_wheel DELTA');
      return { kind: 'mouse-wheel', delta: parseInt8(words[1], 'DELTA') };
    case 'reconnect':
    case 'ping':
    case 'status':
    case 'release':
    case 'release-keys':
      expectArgs(words, 1, verb);
      return { kind: verb };
    case 'acquire':
      if (words.length > 2) throw bad('usage: acquire [HOLDER]');
      if (words[1] !== undefined && !HOLDER.test(words[1])) throw badArg('HOLDER is 1-64 letters, digits, . _ : @ -');
      return { kind: 'acquire', holder: words[1] ?? 'control' };
    case 'video':
      return parseVideo(words);
    case 'kickstart':
      if (words[1] === 'list' && words.length === 2) return { kind: 'kickstart-list' };
      if (words[1] === 'delete' && words.length === 3) return { kind: 'kickstart-delete', name: words[2]! };
      throw bad('usage: kickstart set NAME (followed by the template lines and a line with a single ".") | kickstart list | kickstart delete NAME');
    case 'storage':
      return parseStorage(words);
    case 'sim':
      return parseSim(words);
    default:
      if (words.length !== 1) throw bad(`unknown command ${quote(verb)}`);
      // A single word is a key or a `-`-joined combo; the keymap decides whether it exists.
      return { kind: 'key', combo: verb };
  }
}
