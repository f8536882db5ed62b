/**
 * The 18-byte descriptors of an EDID (VESA E-EDID 1.4, section 3.10; CTA-861 reuses the detailed
 * timing layout): a detailed timing when the first two bytes (pixel clock) are non-zero, otherwise
 * a display descriptor whose tag is byte 3 (0xFF serial, 0xFE text, 0xFD range limits, 0xFC name).
 * Every function takes exactly 18 bytes and reads nothing beyond them.
 */
import type { VideoTiming } from './timing';

export const DESCRIPTOR_LENGTH = 18;

export const TAG_SERIAL = 0xff;
const TAG_TEXT = 0xfe;
const TAG_RANGE_LIMITS = 0xfd;
export const TAG_NAME = 0xfc;
const TAG_DUMMY = 0x10;

export interface DetailedTiming {
  timing: VideoTiming;
  hImageMm: number;
  vImageMm: number;
  hBorder: number;
  vBorder: number;
  /** Sync type bits 4-3 of byte 17: 3 = digital separate, the only one a TMDS link uses. */
  syncType: number;
}

export interface RangeLimits {
  minVerticalHz: number;
  maxVerticalHz: number;
  minHorizontalKhz: number;
  maxHorizontalKhz: number;
  /** Maximum pixel clock, in 10 MHz steps as stored. */
  maxPixelClockMhz: number;
  /** Byte 10: 0x00 default GTF, 0x01 range limits only (1.4), 0x02 secondary GTF, 0x04 CVT (1.4). */
  timingSupport: number;
}

export type Descriptor =
  | { kind: 'timing'; detailed: DetailedTiming }
  | { kind: 'name' | 'serial' | 'text'; text: string }
  | { kind: 'range'; range: RangeLimits }
  | { kind: 'dummy' }
  | { kind: 'other'; tag: number };

/** Byte 17 bits 4-3 = 11: digital separate sync; bit 2 vsync +, bit 1 hsync +. */
const DIGITAL_SEPARATE_SYNC = 0x18;

export function decodeDetailedTiming(d: Uint8Array): DetailedTiming {
  const hi = (byte: number, shift: number) => ((d[byte]! >> shift) & 0x0f) << 8;
  const flags = d[17]!;
  const hActive = d[2]! | hi(4, 4);
  const hBlank = d[3]! | hi(4, 0);
  const vActive = d[5]! | hi(7, 4);
  const vBlank = d[6]! | hi(7, 0);
  const hFrontPorch = d[8]! | (((d[11]! >> 6) & 3) << 8);
  const hSync = d[9]! | (((d[11]! >> 4) & 3) << 8);
  const vFrontPorch = (d[10]! >> 4) | (((d[11]! >> 2) & 3) << 4);
  const vSync = (d[10]! & 0x0f) | ((d[11]! & 3) << 4);
  const syncType = (flags >> 3) & 3;
  return {
    timing: {
      pixelClockHz: (d[0]! | (d[1]! << 8)) * 10_000,
      hActive,
      hFrontPorch,
      hSync,
      hBackPorch: hBlank - hFrontPorch - hSync,
      vActive,
      vFrontPorch,
      vSync,
      vBackPorch: vBlank - vFrontPorch - vSync,
      // Polarity bits only mean polarity for separate sync; composite sync has no hsync polarity.
      hSyncPositive: syncType === 3 ? (flags & 0x02) !== 0 : false,
      vSyncPositive: syncType === 3 ? (flags & 0x04) !== 0 : false,
      interlaced: (flags & 0x80) !== 0,
    },
    hImageMm: d[12]! | (((d[14]! >> 4) & 0x0f) << 8),
    vImageMm: d[13]! | ((d[14]! & 0x0f) << 8),
    hBorder: d[15]!,
    vBorder: d[16]!,
    syncType,
  };
}

/** Field widths of a detailed timing; values beyond them cannot be encoded. */
const DTD_LIMITS = {
  pixelClockHz: 0xffff * 10_000,
  active: 0xfff,
  blank: 0xfff,
  hFrontPorch: 0x3ff,
  hSync: 0x3ff,
  vFrontPorch: 0x3f,
  vSync: 0x3f,
  imageMm: 0xfff,
} as const;

/** Problems that make `t` impossible to store in a detailed timing descriptor (empty if none). */
export function detailedTimingLimitProblems(t: VideoTiming): string[] {
  const problems: string[] = [];
  const check = (value: number, max: number, what: string) => {
    if (!Number.isInteger(value) || value < 0 || value > max) problems.push(`${what} ${value} outside 0..${max}`);
  };
  check(Math.round(t.pixelClockHz / 10_000), 0xffff, 'pixel clock (10 kHz units)');
  check(t.hActive, DTD_LIMITS.active, 'horizontal active');
  check(t.vActive, DTD_LIMITS.active, 'vertical active');
  check(t.hFrontPorch + t.hSync + t.hBackPorch, DTD_LIMITS.blank, 'horizontal blank');
  check(t.vFrontPorch + t.vSync + t.vBackPorch, DTD_LIMITS.blank, 'vertical blank');
  check(t.hFrontPorch, DTD_LIMITS.hFrontPorch, 'horizontal front porch');
  check(t.hSync, DTD_LIMITS.hSync, 'horizontal sync');
  check(t.vFrontPorch, DTD_LIMITS.vFrontPorch, 'vertical front porch');
  check(t.vSync, DTD_LIMITS.vSync, 'vertical sync');
  return problems;
}

/**
 * 18 bytes for a detailed timing. The pixel clock is stored in 10 kHz units (25.175 MHz is written
 * as 25.18 MHz, as every EDID does for 640x480@60). Throws on values that do not fit: callers
 * check `detailedTimingLimitProblems` first.
 */
export function encodeDetailedTiming(t: VideoTiming, hImageMm: number, vImageMm: number): Uint8Array {
  const limits = detailedTimingLimitProblems(t);
  if (limits.length > 0) throw new RangeError(`timing cannot be encoded: ${limits.join('; ')}`);
  const clock = Math.round(t.pixelClockHz / 10_000);
  const hBlank = t.hFrontPorch + t.hSync + t.hBackPorch;
  const vBlank = t.vFrontPorch + t.vSync + t.vBackPorch;
  const hMm = Math.min(Math.max(Math.round(hImageMm), 0), DTD_LIMITS.imageMm);
  const vMm = Math.min(Math.max(Math.round(vImageMm), 0), DTD_LIMITS.imageMm);
  const d = new Uint8Array(DESCRIPTOR_LENGTH);
  d[0] = clock & 0xff;
  d[1] = clock >> 8;
  d[2] = t.hActive & 0xff;
  d[3] = hBlank & 0xff;
  d[4] = ((t.hActive >> 8) << 4) | (hBlank >> 8);
  d[5] = t.vActive & 0xff;
  d[6] = vBlank & 0xff;
  d[7] = ((t.vActive >> 8) << 4) | (vBlank >> 8);
  d[8] = t.hFrontPorch & 0xff;
  d[9] = t.hSync & 0xff;
  d[10] = ((t.vFrontPorch & 0x0f) << 4) | (t.vSync & 0x0f);
  d[11] = ((t.hFrontPorch >> 8) << 6) | ((t.hSync >> 8) << 4) | ((t.vFrontPorch >> 4) << 2) | (t.vSync >> 4);
  d[12] = hMm & 0xff;
  d[13] = vMm & 0xff;
  d[14] = ((hMm >> 8) << 4) | (vMm >> 8);
  d[15] = 0;
  d[16] = 0;
  d[17] =
    (t.interlaced ? 0x80 : 0) | DIGITAL_SEPARATE_SYNC | (t.vSyncPositive ? 0x04 : 0) | (t.hSyncPositive ? 0x02 : 0);
  return d;
}

/** Descriptor text: up to 13 bytes, ended by 0x0A when shorter, padded with spaces (E-EDID 3.10.3). */
function decodeDescriptorText(d: Uint8Array): string {
  let text = '';
  for (let i = 5; i < DESCRIPTOR_LENGTH; i++) {
    const c = d[i]!;
    if (c === 0x0a) break;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return text.trimEnd();
}

/** Characters a descriptor string may hold: printable ASCII. */
export function isDescriptorText(text: string): boolean {
  return /^[\x20-\x7e]{0,13}$/.test(text);
}

export function encodeTextDescriptor(tag: number, text: string): Uint8Array {
  if (!isDescriptorText(text)) throw new RangeError(`descriptor text must be at most 13 printable ASCII characters: ${JSON.stringify(text)}`);
  const d = new Uint8Array(DESCRIPTOR_LENGTH);
  d[3] = tag;
  for (let i = 0; i < 13; i++) {
    d[5 + i] = i < text.length ? text.charCodeAt(i) : i === text.length ? 0x0a : 0x20;
  }
  return d;
}

function decodeRangeLimits(d: Uint8Array): RangeLimits {
  // E-EDID 1.4 byte 4: bits 1-0 and 3-2 add 255 to the vertical / horizontal max (and min) rates.
  const offsets = d[4]!;
  const vMaxAdd = offsets & 0x02 ? 255 : 0;
  const vMinAdd = (offsets & 0x03) === 0x03 ? 255 : 0;
  const hMaxAdd = offsets & 0x08 ? 255 : 0;
  const hMinAdd = (offsets & 0x0c) === 0x0c ? 255 : 0;
  return {
    minVerticalHz: d[5]! + vMinAdd,
    maxVerticalHz: d[6]! + vMaxAdd,
    minHorizontalKhz: d[7]! + hMinAdd,
    maxHorizontalKhz: d[8]! + hMaxAdd,
    maxPixelClockMhz: d[9]! * 10,
    timingSupport: d[10]!,
  };
}

/** A range limits descriptor with "no timing formula" payload padding (0x0A then spaces). */
export function encodeRangeLimits(r: RangeLimits): Uint8Array {
  const byte = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1 || v > 255) throw new RangeError(`range limit ${what} ${v} outside 1..255`);
    return v;
  };
  const d = new Uint8Array(DESCRIPTOR_LENGTH);
  d[3] = TAG_RANGE_LIMITS;
  d[5] = byte(r.minVerticalHz, 'min vertical Hz');
  d[6] = byte(r.maxVerticalHz, 'max vertical Hz');
  d[7] = byte(r.minHorizontalKhz, 'min horizontal kHz');
  d[8] = byte(r.maxHorizontalKhz, 'max horizontal kHz');
  d[9] = byte(Math.ceil(r.maxPixelClockMhz / 10), 'max pixel clock /10 MHz');
  d[10] = r.timingSupport;
  d[11] = 0x0a;
  d.fill(0x20, 12);
  return d;
}

export function decodeDescriptor(d: Uint8Array): Descriptor {
  if (d[0] !== 0 || d[1] !== 0) return { kind: 'timing', detailed: decodeDetailedTiming(d) };
  switch (d[3]) {
    case TAG_NAME:
      return { kind: 'name', text: decodeDescriptorText(d) };
    case TAG_SERIAL:
      return { kind: 'serial', text: decodeDescriptorText(d) };
    case TAG_TEXT:
      return { kind: 'text', text: decodeDescriptorText(d) };
    case TAG_RANGE_LIMITS:
      return { kind: 'range', range: decodeRangeLimits(d) };
    case TAG_DUMMY:
      return { kind: 'dummy' };
    default:
      return { kind: 'other', tag: d[3]! };
  }
}
