/**
 * Decode and validate an EDID (VESA E-EDID 1.4, with 1.3 differences noted) plus its extension
 * blocks. Never throws on bad data and never reads outside the input: only complete 128-byte blocks
 * are decoded (offsets inside a block are constants below 128), and everything found wrong is
 * returned as a problem located by block and offset.
 */
import { BLOCK_SIZE, checksumOk, expectedChecksum } from './checksum';
import { CTA_EXTENSION_TAG, type CtaExtension, parseCtaExtension } from './cta';
import { DESCRIPTOR_LENGTH, type Descriptor, type DetailedTiming, decodeDescriptor } from './descriptors';
import { type EdidProblem, ProblemList, checkDetailedTiming, hasErrors } from './problems';
import { lineRateHz, refreshHz } from './timing';

export const EDID_HEADER = Uint8Array.of(0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00);
/** Byte offsets of the four 18-byte descriptors in the base block. */
export const DESCRIPTOR_OFFSETS = [0x36, 0x48, 0x5a, 0x6c] as const;
const EXTENSION_COUNT_OFFSET = 0x7e;

interface Chromaticity {
  red: [number, number];
  green: [number, number];
  blue: [number, number];
  white: [number, number];
}

interface StandardTiming {
  width: number;
  height: number;
  refreshHz: number;
}

interface BaseBlock {
  manufacturer: string;
  productCode: number;
  serialNumber: number;
  week: number;
  /** Year of manufacture, or the model year when `modelYear` (week byte 0xFF). */
  year: number;
  modelYear: boolean;
  version: number;
  revision: number;
  digital: boolean;
  screenWidthCm: number;
  screenHeightCm: number;
  /** Display gamma, or undefined when byte 23 is 0xFF (defined in an extension). */
  gamma: number | undefined;
  /** Feature support byte (0x18): DPMS, colour type, sRGB, preferred timing, continuous frequency. */
  features: number;
  chromaticity: Chromaticity;
  /** Established timings I/II (bytes 0x23-0x24) as `WxH@Hz`. */
  established: string[];
  standardTimings: StandardTiming[];
  descriptors: Descriptor[];
  extensionCount: number;
}

interface ExtensionBlock {
  block: number;
  tag: number;
  name: string;
  cta?: CtaExtension;
}

export interface ParsedEdid {
  /** Number of complete 128-byte blocks in the input. */
  blocks: number;
  base?: BaseBlock;
  extensions: ExtensionBlock[];
  /** The first detailed timing of the base block: the preferred (native) mode. */
  preferred?: DetailedTiming;
  problems: EdidProblem[];
  /** No error-level problems. */
  valid: boolean;
}

const EXTENSION_NAMES: Record<number, string> = {
  0x02: 'CTA-861',
  0x10: 'Video Timing Block',
  0x20: 'EDID 2.0',
  0x40: 'Display Information',
  0x50: 'Localized String',
  0x60: 'Microdisplay Interface',
  0x70: 'DisplayID',
  0xa7: 'Display Transfer Characteristics',
  0xf0: 'Block Map',
  0xff: 'Manufacturer',
};

// E-EDID 1.4 table 3.18: established timings I and II, byte 0x23 bit 7 first.
const ESTABLISHED = [
  '720x400@70', '720x400@88', '640x480@60', '640x480@67', '640x480@72', '640x480@75', '800x600@56', '800x600@60',
  '800x600@72', '800x600@75', '832x624@75', '1024x768i@87', '1024x768@60', '1024x768@70', '1024x768@75', '1280x1024@75',
];

/** Bits of the established timings bytes for a `WxH@Hz` name, or undefined if it is not one. */
export function establishedTimingBit(name: string): { offset: number; mask: number } | undefined {
  const i = ESTABLISHED.indexOf(name);
  return i < 0 ? undefined : { offset: 0x23 + (i >> 3), mask: 0x80 >> (i & 7) };
}

/** Three 5-bit letters, 'A' = 1 (E-EDID 3.4.1); bit 15 must be 0. */
function decodeManufacturer(hi: number, lo: number): string {
  const raw = (hi << 8) | lo;
  return [10, 5, 0].map((s) => String.fromCharCode(0x40 + ((raw >> s) & 0x1f))).join('');
}

function chromaticity(b: Uint8Array): Chromaticity {
  const lo = (byte: number, shift: number) => (b[byte]! >> shift) & 3;
  const value = (hiByte: number, loByte: number, shift: number) => ((b[hiByte]! << 2) | lo(loByte, shift)) / 1024;
  return {
    red: [value(0x1b, 0x19, 6), value(0x1c, 0x19, 4)],
    green: [value(0x1d, 0x19, 2), value(0x1e, 0x19, 0)],
    blue: [value(0x1f, 0x1a, 6), value(0x20, 0x1a, 4)],
    white: [value(0x21, 0x1a, 2), value(0x22, 0x1a, 0)],
  };
}

function standardTimings(b: Uint8Array, revision: number): StandardTiming[] {
  const out: StandardTiming[] = [];
  for (let offset = 0x26; offset < 0x36; offset += 2) {
    const [b1, b2] = [b[offset]!, b[offset + 1]!];
    // 0x0101 marks an unused slot; 0x0000 and 0x2020 are seen in the wild and mean the same.
    if ((b1 === 1 && b2 === 1) || (b1 === 0 && b2 === 0) || (b1 === 0x20 && b2 === 0x20)) continue;
    const width = (b1 + 31) * 8;
    const aspect = b2 >> 6;
    // Aspect code 00 is 16:10 since EDID 1.3 (1:1 before).
    const [x, y] = aspect === 0 ? (revision >= 3 ? [16, 10] : [1, 1]) : aspect === 1 ? [4, 3] : aspect === 2 ? [5, 4] : [16, 9];
    out.push({ width, height: Math.round((width * y) / x), refreshHz: (b2 & 0x3f) + 60 });
  }
  return out;
}

function parseBase(b: Uint8Array, problems: ProblemList): BaseBlock {
  for (let i = 0; i < EDID_HEADER.length; i++) {
    if (b[i] !== EDID_HEADER[i]) {
      problems.error(0, i, 'bad header (expected 00 FF FF FF FF FF FF 00)');
      break;
    }
  }
  const manufacturer = decodeManufacturer(b[8]!, b[9]!);
  if (b[8]! & 0x80 || !/^[A-Z]{3}$/.test(manufacturer)) {
    problems.warning(0, 8, `manufacturer ID ${b[8]!.toString(16)}${b[9]!.toString(16)} is not three letters A-Z`);
  }
  const [version, revision] = [b[0x12]!, b[0x13]!];
  if (version !== 1) problems.error(0, 0x12, `EDID version ${version}.${revision} (only 1.x exists)`);
  else if (revision < 3 || revision > 4) problems.warning(0, 0x13, `EDID 1.${revision}: only 1.3 and 1.4 are fully decoded`);
  const week = b[0x10]!;
  if (week > 54 && week !== 0xff) problems.warning(0, 0x10, `week of manufacture ${week} outside 0..54`);
  const descriptors = DESCRIPTOR_OFFSETS.map((o) => decodeDescriptor(b.subarray(o, o + DESCRIPTOR_LENGTH)));
  const features = b[0x18]!;
  const established: string[] = [];
  ESTABLISHED.forEach((name, i) => {
    if (b[0x23 + (i >> 3)]! & (0x80 >> (i & 7))) established.push(name);
  });
  return {
    manufacturer,
    productCode: b[0x0a]! | (b[0x0b]! << 8),
    serialNumber: (b[0x0c]! | (b[0x0d]! << 8) | (b[0x0e]! << 16) | (b[0x0f]! << 24)) >>> 0,
    week: week === 0xff ? 0 : week,
    year: b[0x11]! + 1990,
    modelYear: week === 0xff,
    version,
    revision,
    digital: (b[0x14]! & 0x80) !== 0,
    screenWidthCm: b[0x15]!,
    screenHeightCm: b[0x16]!,
    gamma: b[0x17] === 0xff ? undefined : (b[0x17]! + 100) / 100,
    features,
    chromaticity: chromaticity(b),
    established,
    standardTimings: standardTimings(b, revision),
    descriptors,
    extensionCount: b[EXTENSION_COUNT_OFFSET]!,
  };
}

function checkDescriptors(b: Uint8Array, base: BaseBlock, problems: ProblemList): DetailedTiming | undefined {
  let preferred: DetailedTiming | undefined;
  base.descriptors.forEach((d, i) => {
    const offset = DESCRIPTOR_OFFSETS[i]!;
    if (d.kind === 'timing') {
      checkDetailedTiming(d.detailed, 0, offset, problems);
      if (i === 0) preferred = d.detailed;
    } else if (d.kind === 'name' || d.kind === 'serial' || d.kind === 'text') {
      for (let j = offset + 5; j < offset + DESCRIPTOR_LENGTH && b[j] !== 0x0a; j++) {
        if (b[j]! < 0x20 || b[j]! > 0x7e) {
          problems.warning(0, j, `descriptor text has a non-printable byte 0x${b[j]!.toString(16)}`);
          break;
        }
      }
    }
  });
  // E-EDID 1.3 requires a preferred timing in the first descriptor; 1.4 always implies it.
  if (!preferred) problems.error(0, DESCRIPTOR_OFFSETS[0], 'first descriptor is not a detailed timing: no preferred mode');
  const range = base.descriptors.find((d) => d.kind === 'range');
  if (range?.kind === 'range') {
    const r = range.range;
    const offset = DESCRIPTOR_OFFSETS[base.descriptors.indexOf(range)]!;
    if (r.minVerticalHz > r.maxVerticalHz) problems.error(0, offset + 5, `range limits: vertical ${r.minVerticalHz} > ${r.maxVerticalHz} Hz`);
    if (r.minHorizontalKhz > r.maxHorizontalKhz) problems.error(0, offset + 7, `range limits: horizontal ${r.minHorizontalKhz} > ${r.maxHorizontalKhz} kHz`);
    if (preferred && preferred.timing.pixelClockHz > 0) {
      const t = preferred.timing;
      const v = refreshHz(t);
      const h = lineRateHz(t) / 1000;
      if (v < r.minVerticalHz - 0.5 || v > r.maxVerticalHz + 0.5 || h < r.minHorizontalKhz - 0.5 || h > r.maxHorizontalKhz + 0.5 || t.pixelClockHz > r.maxPixelClockMhz * 1e6) {
        problems.warning(0, offset, `preferred mode (${v.toFixed(2)} Hz, ${h.toFixed(2)} kHz, ${(t.pixelClockHz / 1e6).toFixed(2)} MHz) lies outside the range limits`);
      }
    }
  }
  return preferred;
}

/** Decode `edid` and collect every problem found. Never throws. */
export function parseEdid(edid: Uint8Array): ParsedEdid {
  const problems = new ProblemList();
  const blocks = Math.floor(edid.length / BLOCK_SIZE);
  const result: ParsedEdid = { blocks, extensions: [], problems: problems.items, valid: false };
  if (edid.length === 0) {
    problems.error(0, 0, 'empty input: no EDID');
  } else if (edid.length < BLOCK_SIZE) {
    problems.error(0, 0, `truncated: ${edid.length} bytes, an EDID block is ${BLOCK_SIZE}`);
  } else if (edid.length % BLOCK_SIZE !== 0) {
    problems.error(blocks, 0, `truncated: ${edid.length % BLOCK_SIZE} bytes after the last complete block are ignored`);
  }
  for (let i = 0; i < blocks; i++) {
    const block = edid.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
    if (!checksumOk(block)) {
      problems.error(i, BLOCK_SIZE - 1, `bad checksum 0x${block[BLOCK_SIZE - 1]!.toString(16).padStart(2, '0')}, expected 0x${expectedChecksum(block).toString(16).padStart(2, '0')}`);
    }
  }
  if (blocks === 0) return result;
  const baseBytes = edid.subarray(0, BLOCK_SIZE);
  const base = parseBase(baseBytes, problems);
  result.base = base;
  const preferred = checkDescriptors(baseBytes, base, problems);
  if (preferred) result.preferred = preferred;
  if (base.extensionCount > blocks - 1) {
    problems.error(0, EXTENSION_COUNT_OFFSET, `declares ${base.extensionCount} extension block(s), ${blocks - 1} present`);
  } else if (base.extensionCount < blocks - 1) {
    problems.warning(0, EXTENSION_COUNT_OFFSET, `declares ${base.extensionCount} extension block(s), ${blocks - 1} present: the rest are ignored by sources`);
  }
  for (let i = 1; i < blocks; i++) {
    const block = edid.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
    const tag = block[0]!;
    const ext: ExtensionBlock = { block: i, tag, name: EXTENSION_NAMES[tag] ?? `unknown (tag 0x${tag.toString(16).padStart(2, '0')})` };
    if (tag === CTA_EXTENSION_TAG) ext.cta = parseCtaExtension(block, i, problems);
    result.extensions.push(ext);
  }
  result.valid = !hasErrors(problems.items);
  return result;
}

/** The problems `parseEdid` finds; an empty list means a well-formed EDID. */
export function validateEdid(edid: Uint8Array): EdidProblem[] {
  return parseEdid(edid).problems;
}
