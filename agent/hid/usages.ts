/**
 * Numbers from the USB "HID Usage Tables" (v1.12, §10 Keyboard/Keypad Page 0x07; §11 LED Page) as
 * a boot keyboard reports them. Only constants: the keymap and the encoders build on these.
 */

/** Modifier bits of byte 0 of the boot keyboard report (HID 1.11 Appendix B.1; usages 0xE0..0xE7). */
export const MOD = {
  leftCtrl: 0x01,
  leftShift: 0x02,
  leftAlt: 0x04,
  leftMeta: 0x08,
  rightCtrl: 0x10,
  rightShift: 0x20,
  rightAlt: 0x40,
  rightMeta: 0x80,
} as const;

/** Either Shift: what makes a US-layout key produce its upper character. */
export const ANY_SHIFT = MOD.leftShift | MOD.rightShift;

/** Keyboard/Keypad page usages (non-modifier keys) the agent sends. */
export const USAGE = {
  a: 0x04, // a..z are 0x04..0x1d
  digit1: 0x1e, // 1..9 are 0x1e..0x26
  digit0: 0x27,
  enter: 0x28,
  escape: 0x29,
  backspace: 0x2a,
  tab: 0x2b,
  space: 0x2c,
  minus: 0x2d,
  equal: 0x2e,
  leftBracket: 0x2f,
  rightBracket: 0x30,
  backslash: 0x31,
  semicolon: 0x33,
  quote: 0x34,
  grave: 0x35,
  comma: 0x36,
  period: 0x37,
  slash: 0x38,
  capsLock: 0x39,
  f1: 0x3a, // f1..f12 are 0x3a..0x45
  printScreen: 0x46, // Linux hid-input maps it to KEY_SYSRQ (drivers/hid/hid-input.c, hid_keyboard[])
  scrollLock: 0x47,
  pause: 0x48,
  insert: 0x49,
  home: 0x4a,
  pageUp: 0x4b,
  delete: 0x4c,
  end: 0x4d,
  pageDown: 0x4e,
  right: 0x4f,
  left: 0x50,
  down: 0x51,
  up: 0x52,
  numLock: 0x53,
  kpSlash: 0x54,
  kpAsterisk: 0x55,
  kpMinus: 0x56,
  kpPlus: 0x57,
  kpEnter: 0x58,
  kp1: 0x59, // keypad 1..9 are 0x59..0x61
  kp0: 0x62,
  kpDot: 0x63,
  nonUsBackslash: 0x64, // the 102nd key (`<>` on ISO boards)
  application: 0x65, // the Menu key
  power: 0x66,
  kpEqual: 0x67,
  f13: 0x68, // f13..f24 are 0x68..0x73
} as const;

/** LED page bits of the keyboard's 1-byte output report (HID 1.11 Appendix B.1). */
export const LED = {
  numLock: 0x01,
  capsLock: 0x02,
  scrollLock: 0x04,
  compose: 0x08,
  kana: 0x10,
} as const;

/** Boot keyboard input report size (modifiers, reserved, six key slots). */
export const KEYBOARD_REPORT_LENGTH = 8;
/** Key slots in a boot keyboard report: a seventh simultaneous key cannot be expressed. */
export const KEY_SLOTS = 6;
/** Absolute pointer report: buttons u8, X u16 LE, Y u16 LE, wheel i8 (no report id). */
export const POINTER_REPORT_LENGTH = 6;
/** Logical maximum of the pointer's X and Y (kvmd uses 0..32767: Windows rejects wider ranges). */
export const POINTER_LOGICAL_MAX = 32767;

/** Pointer button bits (byte 0 of the pointer report). */
export const BUTTON = {
  left: 0x01,
  right: 0x02,
  middle: 0x04,
  back: 0x08,
  forward: 0x10,
} as const;
export const ALL_BUTTONS = 0x1f;
