/**
 * How the virtual SUT reads keyboard usages: the host-side half of a US layout. Written from the
 * HID Usage Tables (Keyboard/Keypad page 0x07) by usage number, on purpose independent of the
 * agent's own keymap (`agent/hid/keymap.ts`), so that a wrong entry on either side shows up as
 * wrong text instead of cancelling out.
 */

export interface HostKey {
  /** Name in the event log (lower case, X11-like). */
  name: string;
  /** Character produced without / with Shift; letters are also affected by Caps Lock. */
  plain?: string;
  shifted?: string;
}

const table = new Map<number, HostKey>();
const put = (usage: number, name: string, plain?: string, shifted?: string) => {
  const entry: HostKey = { name };
  if (plain !== undefined) entry.plain = plain;
  if (shifted !== undefined) entry.shifted = shifted;
  table.set(usage, entry);
};

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
for (let i = 0; i < LETTERS.length; i++) {
  const c = LETTERS[i]!;
  put(0x04 + i, c, c, c.toUpperCase());
}
put(0x1e, '1', '1', '!');
put(0x1f, '2', '2', '@');
put(0x20, '3', '3', '#');
put(0x21, '4', '4', '$');
put(0x22, '5', '5', '%');
put(0x23, '6', '6', '^');
put(0x24, '7', '7', '&');
put(0x25, '8', '8', '*');
put(0x26, '9', '9', '(');
put(0x27, '0', '0', ')');
put(0x28, 'enter');
put(0x29, 'escape');
put(0x2a, 'backspace');
put(0x2b, 'tab');
put(0x2c, 'space', ' ', ' ');
put(0x2d, 'minus', '-', '_');
put(0x2e, 'equal', '=', '+');
put(0x2f, 'bracketleft', '[', '{');
put(0x30, 'bracketright', ']', '}');
put(0x31, 'backslash', '\\', '|');
put(0x32, 'nonus_hash', '#', '~');
put(0x33, 'semicolon', ';', ':');
put(0x34, 'apostrophe', "'", '"');
put(0x35, 'grave', '`', '~');
put(0x36, 'comma', ',', '<');
put(0x37, 'period', '.', '>');
put(0x38, 'slash', '/', '?');
put(0x39, 'caps_lock');
for (let n = 1; n <= 12; n++) put(0x3a + n - 1, `f${n}`);
put(0x46, 'print');
put(0x47, 'scroll_lock');
put(0x48, 'pause');
put(0x49, 'insert');
put(0x4a, 'home');
put(0x4b, 'page_up');
put(0x4c, 'delete');
put(0x4d, 'end');
put(0x4e, 'page_down');
put(0x4f, 'right');
put(0x50, 'left');
put(0x51, 'down');
put(0x52, 'up');
put(0x53, 'num_lock');
put(0x54, 'kp_divide');
put(0x55, 'kp_multiply');
put(0x56, 'kp_subtract');
put(0x57, 'kp_add');
put(0x58, 'kp_enter');
for (let n = 1; n <= 9; n++) put(0x59 + n - 1, `kp_${n}`);
put(0x62, 'kp_0');
put(0x63, 'kp_decimal');
put(0x64, 'less', '<', '>');
put(0x65, 'menu');
put(0x66, 'power');
put(0x67, 'kp_equal');
for (let n = 13; n <= 24; n++) put(0x68 + n - 13, `f${n}`);

/** Usage → host key; unknown usages are logged by number. */
export function hostKey(usage: number): HostKey {
  return table.get(usage) ?? { name: `usage_0x${usage.toString(16).padStart(2, '0')}` };
}

/** Modifier bit → name, in bit order (byte 0 of the boot report). */
export const MODIFIER_NAMES: ReadonlyArray<[number, string]> = [
  [0x01, 'control_l'],
  [0x02, 'shift_l'],
  [0x04, 'alt_l'],
  [0x08, 'super_l'],
  [0x10, 'control_r'],
  [0x20, 'shift_r'],
  [0x40, 'alt_r'],
  [0x80, 'super_r'],
];

/** Usages with a console meaning beyond a character. */
export const HOST_USAGE = {
  enter: 0x28,
  backspace: 0x2a,
  tab: 0x2b,
  capsLock: 0x39,
  scrollLock: 0x47,
  numLock: 0x53,
  kpEnter: 0x58,
} as const;
