/**
 * Pure encoders and decoders of the gadget's HID reports. The layouts are fixed by the report
 * descriptors the gadget installs:
 * - keyboard (`hid.usb0`, boot protocol): 8 bytes `[modifiers, 0, k1..k6]`; output report 1 byte of
 *   LED bits (HID 1.11 Appendix B.1).
 * - pointer (`hid.usb1`, absolute, no report id): 6 bytes `[buttons, X lo, X hi, Y lo, Y hi, wheel]`,
 *   X and Y logical 0..32767 (kvmd's range: Windows rejects negative or 65535 maxima), wheel i8.
 */
import { AgentError } from '../errors';
import {
  ALL_BUTTONS,
  KEY_SLOTS,
  KEYBOARD_REPORT_LENGTH,
  LED,
  POINTER_LOGICAL_MAX,
  POINTER_REPORT_LENGTH,
} from './usages';

const isByte = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xff;

/** One keyboard input report. More than six keys cannot be expressed: `bad-argument`. */
export function keyboardReport(modifiers: number, keys: readonly number[]): Uint8Array {
  if (!isByte(modifiers)) throw new AgentError('bad-argument', `modifier mask ${modifiers} is not a byte`);
  if (keys.length > KEY_SLOTS) {
    throw new AgentError('bad-argument', `${keys.length} keys held; a boot keyboard report holds ${KEY_SLOTS}`);
  }
  const report = new Uint8Array(KEYBOARD_REPORT_LENGTH);
  report[0] = modifiers;
  keys.forEach((usage, i) => {
    if (!isByte(usage) || usage === 0) throw new AgentError('bad-argument', `key usage ${usage} out of range`);
    report[2 + i] = usage;
  });
  return report;
}

/** The report with nothing held. */
export function keyboardReleaseReport(): Uint8Array {
  return new Uint8Array(KEYBOARD_REPORT_LENGTH);
}

/** Decoded keyboard input report (what a host sees). */
export interface KeyboardState {
  modifiers: number;
  keys: number[];
}

export function parseKeyboardReport(report: Uint8Array): KeyboardState {
  if (report.length !== KEYBOARD_REPORT_LENGTH) {
    throw new AgentError('bad-argument', `keyboard report is ${report.length} bytes, expected ${KEYBOARD_REPORT_LENGTH}`);
  }
  return { modifiers: report[0]!, keys: [...report.subarray(2)].filter((k) => k !== 0) };
}

/**
 * One absolute pointer report. `x`/`y` are logical (0..32767) and clamped; `wheel` is clamped to
 * -127..127 (the descriptor's logical range; -128 is not used by hosts' wheel handling).
 */
export function pointerReport(buttons: number, x: number, y: number, wheel = 0): Uint8Array {
  if (!Number.isInteger(buttons) || buttons < 0 || buttons > ALL_BUTTONS) {
    throw new AgentError('bad-argument', `button mask ${buttons} out of range 0..${ALL_BUTTONS}`);
  }
  const report = new Uint8Array(POINTER_REPORT_LENGTH);
  const view = new DataView(report.buffer);
  report[0] = buttons;
  view.setUint16(1, clampInt(x, 0, POINTER_LOGICAL_MAX), true);
  view.setUint16(3, clampInt(y, 0, POINTER_LOGICAL_MAX), true);
  view.setInt8(5, clampInt(wheel, -127, 127));
  return report;
}

export interface PointerState {
  buttons: number;
  x: number;
  y: number;
  wheel: number;
}

export function parsePointerReport(report: Uint8Array): PointerState {
  if (report.length !== POINTER_REPORT_LENGTH) {
    throw new AgentError('bad-argument', `pointer report is ${report.length} bytes, expected ${POINTER_REPORT_LENGTH}`);
  }
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  return { buttons: report[0]!, x: view.getUint16(1, true), y: view.getUint16(3, true), wheel: view.getInt8(5) };
}

/**
 * Screen pixel (0..size-1) → logical coordinate (0..32767): 0 → 0 and size-1 → 32767 exactly,
 * rounded to nearest, out-of-range pixels clamped. Because 32767/(size-1) > 1 for any real screen,
 * `logicalToScreen` inverts it exactly for every pixel.
 */
export function screenToLogical(px: number, size: number): number {
  if (!(size > 1)) return 0;
  const clamped = clampInt(px, 0, size - 1);
  return Math.round((clamped * POINTER_LOGICAL_MAX) / (size - 1));
}

/** Logical coordinate → screen pixel, as a host maps an absolute axis onto its screen. */
export function logicalToScreen(logical: number, size: number): number {
  if (!(size > 1)) return 0;
  const clamped = clampInt(logical, 0, POINTER_LOGICAL_MAX);
  return Math.round((clamped * (size - 1)) / POINTER_LOGICAL_MAX);
}

/** Keyboard LEDs from the host's output report (byte 0). */
export interface LedState {
  numLock: boolean;
  capsLock: boolean;
  scrollLock: boolean;
}

export function parseLedReport(report: Uint8Array): LedState {
  const bits = report.length > 0 ? report[0]! : 0;
  return {
    numLock: (bits & LED.numLock) !== 0,
    capsLock: (bits & LED.capsLock) !== 0,
    scrollLock: (bits & LED.scrollLock) !== 0,
  };
}

export function ledReport(state: LedState): Uint8Array {
  return Uint8Array.of(
    (state.numLock ? LED.numLock : 0) | (state.capsLock ? LED.capsLock : 0) | (state.scrollLock ? LED.scrollLock : 0),
  );
}

function clampInt(n: number, min: number, max: number): number {
  if (Number.isNaN(n)) return min;
  return Math.min(max, Math.max(min, Math.round(n)));
}
