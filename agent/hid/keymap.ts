/**
 * Key names → boot keyboard usages, US layout. Pure: no I/O.
 *
 * Vocabulary accepted (a superset of every client we replace):
 * - os-autoinst's VNC keymap (`consoles/VNC.pm`, `$keymap_x11`): `esc down right up left equal spc
 *   minus shift ctrl caps meta alt ret tab backspace end delete home insert pgup pgdn sysrq super`,
 *   `f1`–`f12`, `a`–`z`, and every printable character as itself; `A`–`Z` and the shifted symbols
 *   (`shift_keys()`) are Shift + the base key. Its type_string sends `-` as `minus`, space as `spc`.
 * - QubesOS gadget-control (`states/openqa-cmds/gadget-control`, `keycodes`): `space`, `pageup`,
 *   `pagedown`, `printscreen`, `scroll`, `pause`, `rctrl`, `rshift`, `ralt`, `rmeta`.
 * - Our own additions: `f13`–`f24`, `altgr`, `win`, `menu`, lock keys, left/right modifier variants,
 *   keypad keys (`kp_0`…`kp_9`, `kp_enter`, … and the Linux input names `kp0`, `kpenter`, …).
 *
 * Matching: a one-character name is case-sensitive (`A` = Shift+a); longer names are
 * case-insensitive (`F4`, `Ctrl`).
 *
 * Combos join names with `-` (`ctrl-alt-delete`). A literal `-` key is written `minus`, but `-` is
 * also accepted wherever a name may start: `-` alone and `ctrl--` mean the minus key. A name can
 * never be empty, so `ctrl-` and `--` are rejected rather than guessed.
 */
import { AgentError } from '../errors';
import { KEY_SLOTS, MOD, USAGE } from './usages';

/** What one key name stands for: modifier bits to hold and, unless a pure modifier, one usage. */
export interface KeyDef {
  modifiers: number;
  usage?: number;
}

/** A parsed combo: what to hold down together. */
export interface KeyChord {
  /** Modifier bitmask (byte 0 of the report). */
  modifiers: number;
  /** Non-modifier usages, in the order named (no duplicates, at most six). */
  keys: number[];
  /** The single modifier bits of `modifiers`, in the order named: the press order. */
  modifierOrder: number[];
}

const mod = (bits: number): KeyDef => ({ modifiers: bits });
const key = (usage: number, modifiers = 0): KeyDef => ({ modifiers, usage });

/** Printable US-layout characters: [unshifted, shifted] pairs on one key. */
const US_PAIRS: ReadonlyArray<[string, string, number]> = [
  ['1', '!', USAGE.digit1],
  ['2', '@', USAGE.digit1 + 1],
  ['3', '#', USAGE.digit1 + 2],
  ['4', '$', USAGE.digit1 + 3],
  ['5', '%', USAGE.digit1 + 4],
  ['6', '^', USAGE.digit1 + 5],
  ['7', '&', USAGE.digit1 + 6],
  ['8', '*', USAGE.digit1 + 7],
  ['9', '(', USAGE.digit1 + 8],
  ['0', ')', USAGE.digit0],
  ['-', '_', USAGE.minus],
  ['=', '+', USAGE.equal],
  ['[', '{', USAGE.leftBracket],
  [']', '}', USAGE.rightBracket],
  ['\\', '|', USAGE.backslash],
  [';', ':', USAGE.semicolon],
  ["'", '"', USAGE.quote],
  ['`', '~', USAGE.grave],
  [',', '<', USAGE.comma],
  ['.', '>', USAGE.period],
  ['/', '?', USAGE.slash],
];

function buildCharacters(): Map<string, KeyDef> {
  const chars = new Map<string, KeyDef>();
  for (let i = 0; i < 26; i++) {
    const lower = String.fromCharCode(0x61 + i);
    chars.set(lower, key(USAGE.a + i));
    chars.set(lower.toUpperCase(), key(USAGE.a + i, MOD.leftShift));
  }
  for (const [plain, shifted, usage] of US_PAIRS) {
    chars.set(plain, key(usage));
    chars.set(shifted, key(usage, MOD.leftShift));
  }
  chars.set(' ', key(USAGE.space));
  return chars;
}

/** Word names (lower case), grouped by what they press. */
const WORD_ALIASES: ReadonlyArray<[KeyDef, string[]]> = [
  [mod(MOD.leftCtrl), ['ctrl', 'control', 'ctrl_l', 'lctrl', 'left_ctrl', 'control_l']],
  [mod(MOD.rightCtrl), ['ctrl_r', 'rctrl', 'right_ctrl', 'control_r']],
  [mod(MOD.leftShift), ['shift', 'shift_l', 'lshift', 'left_shift']],
  [mod(MOD.rightShift), ['shift_r', 'rshift', 'right_shift']],
  [mod(MOD.leftAlt), ['alt', 'alt_l', 'lalt', 'left_alt']],
  [mod(MOD.rightAlt), ['altgr', 'alt_r', 'ralt', 'right_alt', 'iso_level3_shift']],
  // USB has one "GUI" key per side: X11's Meta and Super and Windows' Win all land on it.
  [mod(MOD.leftMeta), ['meta', 'super', 'win', 'gui', 'meta_l', 'super_l', 'win_l', 'lmeta', 'lsuper', 'left_meta']],
  [mod(MOD.rightMeta), ['meta_r', 'super_r', 'win_r', 'rmeta', 'rsuper', 'right_meta']],
  [key(USAGE.enter), ['ret', 'enter', 'return']],
  [key(USAGE.escape), ['esc', 'escape']],
  [key(USAGE.backspace), ['backspace', 'bksp', 'bs']],
  [key(USAGE.tab), ['tab']],
  [key(USAGE.space), ['spc', 'space']],
  [key(USAGE.minus), ['minus']],
  [key(USAGE.equal), ['equal']],
  [key(USAGE.capsLock), ['caps', 'capslock', 'caps_lock']],
  [key(USAGE.printScreen), ['sysrq', 'print', 'printscreen', 'prtsc', 'print_screen']],
  [key(USAGE.scrollLock), ['scrolllock', 'scroll_lock', 'scroll']],
  [key(USAGE.pause), ['pause', 'break']],
  [key(USAGE.insert), ['insert', 'ins']],
  [key(USAGE.home), ['home']],
  [key(USAGE.pageUp), ['pgup', 'pageup', 'page_up', 'prior']],
  [key(USAGE.delete), ['delete', 'del']],
  [key(USAGE.end), ['end']],
  [key(USAGE.pageDown), ['pgdn', 'pagedown', 'page_down', 'next']],
  [key(USAGE.right), ['right']],
  [key(USAGE.left), ['left']],
  [key(USAGE.down), ['down']],
  [key(USAGE.up), ['up']],
  [key(USAGE.numLock), ['numlock', 'num_lock']],
  [key(USAGE.application), ['menu', 'compose', 'application', 'apps']],
  [key(USAGE.nonUsBackslash), ['102nd']], // the ISO key left of Z; `<` itself is Shift+comma
  [key(USAGE.power), ['power']],
  // Keypad: `kp_*` names, plus the Linux input-event names (KEY_KPENTER → `kpenter`, …).
  [key(USAGE.kpSlash), ['kp_divide', 'kp_slash', 'kpslash']],
  [key(USAGE.kpAsterisk), ['kp_multiply', 'kp_asterisk', 'kpasterisk']],
  [key(USAGE.kpMinus), ['kp_minus', 'kp_subtract', 'kpminus']],
  [key(USAGE.kpPlus), ['kp_plus', 'kp_add', 'kpplus']],
  [key(USAGE.kpEnter), ['kp_enter', 'kpenter']],
  [key(USAGE.kpDot), ['kp_dot', 'kp_decimal', 'kp_period', 'kpdot']],
  [key(USAGE.kpEqual), ['kp_equal', 'kpequal']],
];

function buildWords(): Map<string, KeyDef> {
  const words = new Map<string, KeyDef>();
  const add = (name: string, def: KeyDef) => {
    if (words.has(name)) throw new Error(`keymap: duplicate name ${name}`);
    words.set(name, def);
  };
  for (const [def, names] of WORD_ALIASES) for (const n of names) add(n, def);
  for (let n = 1; n <= 12; n++) add(`f${n}`, key(USAGE.f1 + n - 1));
  for (let n = 13; n <= 24; n++) add(`f${n}`, key(USAGE.f13 + n - 13));
  for (let n = 0; n <= 9; n++) {
    const usage = n === 0 ? USAGE.kp0 : USAGE.kp1 + n - 1;
    add(`kp_${n}`, key(usage));
    add(`kp${n}`, key(usage));
  }
  return words;
}

const CHARACTERS = buildCharacters();
const WORDS = buildWords();

/** Every accepted single name (characters as themselves, words in lower case). */
export function keyNames(): string[] {
  return [...CHARACTERS.keys(), ...WORDS.keys()];
}

/** One key name (not a combo) → its definition, or undefined. */
export function lookupKey(name: string): KeyDef | undefined {
  if (name.length === 1) return CHARACTERS.get(name);
  return WORDS.get(name.toLowerCase());
}

/** The chord that types one character (US layout), or undefined if it cannot be typed. */
export function charToChord(ch: string): KeyChord | undefined {
  const def = CHARACTERS.get(ch);
  return def && chordOf([def]);
}

/**
 * Split a combo into names. A name that starts with `-` is the one-character name `-`, so
 * `ctrl--` is ctrl + minus; an empty name (`ctrl-`, `a--b`, ``) makes the combo invalid.
 */
export function splitCombo(text: string): string[] | undefined {
  const names: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (i === text.length) return undefined; // empty name (empty text, or a trailing separator)
    let end: number;
    if (text[i] === '-') end = i + 1;
    else {
      end = text.indexOf('-', i);
      if (end < 0) end = text.length;
    }
    names.push(text.slice(i, end));
    if (end === text.length) return names;
    if (text[end] !== '-') return undefined;
    i = end + 1;
  }
  return undefined;
}

function chordOf(defs: KeyDef[]): KeyChord {
  const chord: KeyChord = { modifiers: 0, keys: [], modifierOrder: [] };
  for (const def of defs) {
    for (let bit = 1; bit <= 0x80; bit <<= 1) {
      if (def.modifiers & bit && !(chord.modifiers & bit)) {
        chord.modifiers |= bit;
        chord.modifierOrder.push(bit);
      }
    }
    if (def.usage !== undefined && !chord.keys.includes(def.usage)) chord.keys.push(def.usage);
  }
  return chord;
}

/**
 * Parse a combo (`ctrl-alt-delete`, `A`, `shift-tab`, `ctrl-minus`) into the chord to hold.
 * Returns (does not throw) `AgentError('unknown-key')` for an unknown or empty name and
 * `AgentError('bad-argument')` for more keys than a boot report can hold.
 */
export function parseCombo(text: string): KeyChord | AgentError {
  const names = splitCombo(text);
  if (!names) return new AgentError('unknown-key', `invalid key combo '${text}'`);
  const defs: KeyDef[] = [];
  for (const name of names) {
    const def = lookupKey(name);
    if (!def) return new AgentError('unknown-key', `unknown key '${name}'`);
    defs.push(def);
  }
  const chord = chordOf(defs);
  if (chord.keys.length > KEY_SLOTS) {
    return new AgentError('bad-argument', `'${text}' holds ${chord.keys.length} keys; a keyboard report holds ${KEY_SLOTS}`);
  }
  return chord;
}

