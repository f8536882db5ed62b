/**
 * Build an EDID 1.3 whose preferred mode is any W×H@Hz: the DMT timing when the standard has one,
 * else CVT 1.2 (optionally reduced blanking). By default one 128-byte block and no CTA-861
 * extension: the TC358743 accepts one or two blocks, and a source that finds no CTA-861 block with
 * an HDMI vendor-specific data block drives the link in DVI mode — RGB 4:4:4 full range, no audio,
 * no InfoFrames — which is what a frame grabber wants (see edid/README.md). `hdmi: true` appends
 * a minimal CTA-861 block for sources that need an HDMI sink.
 *
 * Layout (E-EDID 1.4 section 3, written as version 1.3 like PiKVM's default EDIDs and
 * v4l2-ctl's built-in ones in utils/v4l2-ctl/v4l2-ctl-edid.cpp):
 *   descriptor 1 preferred detailed timing, 2 range limits, 3 monitor name, 4 serial string;
 *   established timing 640x480@60 (the VESA baseline every source can fall back to);
 *   no standard timings (a source would derive those through GTF, not our timing).
 */
import { AgentError } from '../errors';
import { BLOCK_SIZE, expectedChecksum } from './checksum';
import { makeCtaExtension, vicForDmt } from './cta-make';
import { cvtTiming } from './cvt';
import {
  TAG_NAME,
  TAG_SERIAL,
  detailedTimingLimitProblems,
  encodeDetailedTiming,
  encodeRangeLimits,
  encodeTextDescriptor,
  isDescriptorText,
} from './descriptors';
import { findDmt } from './dmt';
import { DESCRIPTOR_OFFSETS, EDID_HEADER, establishedTimingBit } from './parse';
import { type ModeRequest, type VideoTiming, lineRateHz, refreshHz } from './timing';

type TimingSource = 'dmt' | 'cvt' | 'cvt-rb';

interface ChosenTiming {
  timing: VideoTiming;
  source: TimingSource;
  dmtId?: number;
}

export interface EdidMakeOptions {
  width: number;
  height: number;
  /** Default 60. */
  refreshHz?: number;
  /** CVT reduced blanking v1 (and the DMT reduced-blanking entry where one exists). */
  reducedBlanking?: boolean;
  /** Monitor name descriptor, at most 13 printable ASCII characters. */
  name?: string;
  /** Serial string descriptor, at most 13 characters; default derived from the mode. */
  serial?: string;
  /** PNP manufacturer ID; default LNX, the ID PiKVM's default EDIDs (kvmd configs/kvmd/edid) carry. */
  manufacturer?: string;
  /** Year of manufacture; fixed so that the output is reproducible. */
  year?: number;
  /** Add a CTA-861 extension declaring an HDMI sink (two blocks instead of one). */
  hdmi?: boolean;
}

export interface GeneratedEdid extends ChosenTiming {
  bytes: Uint8Array;
}

const DEFAULT_MONITOR_NAME = 'PiKVM Agent';
const DEFAULT_YEAR = 2025;
const DEFAULT_MANUFACTURER = 'LNX';
/** Physical size reported: 0.28 mm pixel pitch, a typical desktop monitor. */
const PIXEL_PITCH_MM = 0.28;
/** sRGB primaries and D65 white point (IEC 61966-2-1), as E-EDID 1.4 section 3.7 requires when the sRGB bit is set. */
const SRGB: [number, number][] = [
  [0.64, 0.33],
  [0.3, 0.6],
  [0.15, 0.06],
  [0.3127, 0.329],
];
/** The baseline mode advertised next to the preferred one (DMT 0x04). */
const BASELINE = '640x480@60';

function badArgument(message: string): AgentError {
  return new AgentError('bad-argument', message);
}

/** DMT when the standard defines W×H at that nominal refresh, otherwise CVT. */
function chooseTiming(request: ModeRequest): ChosenTiming {
  const dmt = findDmt(request.width, request.height, request.refreshHz, request.reducedBlanking);
  if (dmt) return { timing: dmt.timing, source: 'dmt', dmtId: dmt.id };
  const timing = cvtTiming(request.width, request.height, request.refreshHz, { reducedBlanking: request.reducedBlanking });
  return { timing, source: request.reducedBlanking ? 'cvt-rb' : 'cvt' };
}

/** FNV-1a, 32 bits: a stable identity per mode, so a source does not mix up settings it cached per monitor. */
function modeHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function encodeManufacturer(id: string): [number, number] {
  if (!/^[A-Z]{3}$/.test(id)) throw badArgument(`manufacturer ID must be three letters A-Z: ${JSON.stringify(id)}`);
  const raw = [...id].reduce((acc, c) => (acc << 5) | (c.charCodeAt(0) - 0x40), 0);
  return [raw >> 8, raw & 0xff];
}

function encodeChromaticity(block: Uint8Array): void {
  const tenBits = SRGB.flat().map((v) => Math.round(v * 1024));
  // Low two bits packed in 0x19 (red, green) and 0x1A (blue, white); high eight bits in 0x1B-0x22.
  block[0x19] = tenBits.slice(0, 4).reduce((acc, v) => (acc << 2) | (v & 3), 0);
  block[0x1a] = tenBits.slice(4, 8).reduce((acc, v) => (acc << 2) | (v & 3), 0);
  tenBits.forEach((v, i) => (block[0x1b + i] = v >> 2));
}

function validateRequest(o: EdidMakeOptions): ModeRequest {
  const refresh = o.refreshHz ?? 60;
  if (!Number.isInteger(o.width) || o.width < 64 || o.width > 4095) throw badArgument(`width ${o.width} outside 64..4095`);
  if (!Number.isInteger(o.height) || o.height < 64 || o.height > 4095) throw badArgument(`height ${o.height} outside 64..4095`);
  if (!Number.isFinite(refresh) || refresh < 10 || refresh > 240) throw badArgument(`refresh ${refresh} Hz outside 10..240`);
  return { width: o.width, height: o.height, refreshHz: refresh, reducedBlanking: o.reducedBlanking === true };
}

/** The 128-byte EDID for `options`. Throws AgentError('bad-argument') for a mode or name it cannot encode. */
export function makeEdid(options: EdidMakeOptions): GeneratedEdid {
  const request = validateRequest(options);
  const name = options.name ?? DEFAULT_MONITOR_NAME;
  if (!isDescriptorText(name)) throw badArgument(`monitor name must be at most 13 printable ASCII characters: ${JSON.stringify(name)}`);
  const key = `${request.width}x${request.height}@${request.refreshHz}${request.reducedBlanking ? 'R' : ''}`;
  const hash = modeHash(key);
  const serial = options.serial ?? hash.toString(16).toUpperCase().padStart(8, '0');
  if (!isDescriptorText(serial)) throw badArgument(`serial must be at most 13 printable ASCII characters: ${JSON.stringify(serial)}`);
  const year = options.year ?? DEFAULT_YEAR;
  if (!Number.isInteger(year) || year < 1990 || year > 2245) throw badArgument(`year ${year} outside 1990..2245`);

  const chosen = chooseTiming(request);
  const t = chosen.timing;
  const limits = detailedTimingLimitProblems(t);
  if (limits.length > 0) throw badArgument(`${key} cannot be described in an EDID: ${limits.join('; ')}`);
  const hMm = Math.round(t.hActive * PIXEL_PITCH_MM);
  const vMm = Math.round(t.vActive * PIXEL_PITCH_MM);

  const b = new Uint8Array(BLOCK_SIZE);
  b.set(EDID_HEADER, 0);
  [b[0x08], b[0x09]] = encodeManufacturer(options.manufacturer ?? DEFAULT_MANUFACTURER);
  b[0x0a] = hash & 0xff; // product code, little endian
  b[0x0b] = (hash >> 8) & 0xff;
  // Serial number 0x0C-0x0F stays 0: the serial string descriptor carries it (CTA-861 asks for
  // one or the other, edid-decode checks it).
  b[0x10] = 0; // week unknown
  b[0x11] = year - 1990;
  b[0x12] = 1; // EDID 1.3
  b[0x13] = 3;
  b[0x14] = 0x80; // digital input
  b[0x15] = Math.max(1, Math.round(hMm / 10)); // screen size, cm
  b[0x16] = Math.max(1, Math.round(vMm / 10));
  b[0x17] = 120; // gamma 2.2, stored as (gamma × 100) − 100
  // Features: RGB colour display (bits 4-3 = 01), sRGB default colour space, preferred timing
  // mode in the first detailed timing; no DPMS, no GTF.
  b[0x18] = 0x08 | 0x04 | 0x02;
  encodeChromaticity(b);
  const baseline = establishedTimingBit(BASELINE)!;
  b[baseline.offset]! |= baseline.mask;
  for (let o = 0x26; o < 0x36; o++) b[o] = 0x01; // eight unused standard timing slots (0x01 0x01)

  const baselineTiming = findDmt(640, 480, 60, false)!.timing;
  const advertised = [t, baselineTiming];
  const vRates = advertised.map(refreshHz);
  const hRatesKhz = advertised.map((x) => lineRateHz(x) / 1000);
  const maxClockMhz = Math.max(...advertised.map((x) => x.pixelClockHz / 1e6));
  const descriptors = [
    encodeDetailedTiming(t, hMm, vMm),
    encodeRangeLimits({
      minVerticalHz: Math.floor(Math.min(...vRates)),
      maxVerticalHz: Math.ceil(Math.max(...vRates)),
      minHorizontalKhz: Math.floor(Math.min(...hRatesKhz)),
      maxHorizontalKhz: Math.ceil(Math.max(...hRatesKhz)),
      maxPixelClockMhz: Math.ceil(maxClockMhz / 10) * 10,
      timingSupport: 0x00,
    }),
    encodeTextDescriptor(TAG_NAME, name),
    encodeTextDescriptor(TAG_SERIAL, serial),
  ];
  descriptors.forEach((d, i) => b.set(d, DESCRIPTOR_OFFSETS[i]!));
  if (options.hdmi !== true) {
    b[0x7e] = 0; // no extension blocks
    b[0x7f] = expectedChecksum(b);
    return { ...chosen, bytes: b };
  }
  b[0x7e] = 1;
  b[0x7f] = expectedChecksum(b);
  const vic = vicForDmt(chosen.dmtId);
  const bytes = new Uint8Array(2 * BLOCK_SIZE);
  bytes.set(b, 0);
  bytes.set(makeCtaExtension(vic === undefined ? [] : [vic]), BLOCK_SIZE);
  return { ...chosen, bytes };
}
