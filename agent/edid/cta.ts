/**
 * CTA-861 extension blocks (tag 0x02; CTA-861-G section 7.5): a header, a data block collection
 * from byte 4 up to the offset in byte 2, then 18-byte detailed timings until a zero pixel clock
 * or the checksum. An HDMI sink is one with the HDMI Vendor-Specific Data Block (IEEE OUI
 * 00-0C-03); a source that finds none treats the sink as DVI.
 */
import { BLOCK_SIZE } from './checksum';
import { DESCRIPTOR_LENGTH, type DetailedTiming, decodeDetailedTiming } from './descriptors';
import { ProblemList, checkDetailedTiming } from './problems';

export const CTA_EXTENSION_TAG = 0x02;

interface CtaDataBlock {
  /** Byte offset of the block header within the extension. */
  offset: number;
  tag: number;
  /** For tag 7, the extended tag (first payload byte). */
  extendedTag?: number;
  /** Payload length (without the header byte). */
  length: number;
  name: string;
  /** Video data block: the VICs listed (native flag removed). */
  vics?: number[];
  /** HDMI vendor-specific data block: the CEC physical address `a.b.c.d`. */
  physicalAddress?: string;
}

export interface CtaExtension {
  revision: number;
  underscan: boolean;
  basicAudio: boolean;
  ycbcr444: boolean;
  ycbcr422: boolean;
  nativeDetailedTimings: number;
  dataBlocks: CtaDataBlock[];
  detailedTimings: { offset: number; detailed: DetailedTiming }[];
  hdmi: boolean;
}

const DATA_BLOCK_NAMES: Record<number, string> = {
  1: 'audio',
  2: 'video',
  3: 'vendor-specific',
  4: 'speaker allocation',
  5: 'VESA display transfer characteristic',
  7: 'extended',
};

const EXTENDED_NAMES: Record<number, string> = {
  0: 'video capability',
  1: 'vendor-specific video',
  5: 'colorimetry',
  6: 'HDR static metadata',
  13: 'video format preference',
  14: 'YCbCr 4:2:0 video',
  15: 'YCbCr 4:2:0 capability map',
  18: 'vendor-specific audio',
  19: 'room configuration',
  20: 'speaker location',
  32: 'InfoFrame',
};

const OUI_HDMI = 0x000c03;
const OUI_HDMI_FORUM = 0xc45dd8;

function readDataBlock(block: Uint8Array, offset: number, length: number, tag: number): CtaDataBlock {
  const payload = block.subarray(offset + 1, offset + 1 + length);
  const entry: CtaDataBlock = { offset, tag, length, name: DATA_BLOCK_NAMES[tag] ?? `reserved tag ${tag}` };
  if (tag === 2) {
    entry.vics = Array.from(payload, (v) => (v >= 129 && v <= 192 ? v & 0x7f : v));
  } else if (tag === 3 && length >= 3) {
    const oui = payload[0]! | (payload[1]! << 8) | (payload[2]! << 16);
    if (oui === OUI_HDMI) {
      entry.name = 'vendor-specific (HDMI)';
      if (length >= 5) {
        const [ab, cd] = [payload[3]!, payload[4]!];
        entry.physicalAddress = `${ab >> 4}.${ab & 15}.${cd >> 4}.${cd & 15}`;
      }
    } else if (oui === OUI_HDMI_FORUM) {
      entry.name = 'vendor-specific (HDMI Forum)';
    } else {
      entry.name = `vendor-specific (OUI ${oui.toString(16).padStart(6, '0')})`;
    }
  } else if (tag === 7 && length >= 1) {
    entry.extendedTag = payload[0]!;
    entry.name = `extended: ${EXTENDED_NAMES[payload[0]!] ?? `tag ${payload[0]}`}`;
  }
  return entry;
}

/** Decode one 128-byte CTA-861 extension, reporting structural problems; reads only inside `block`. */
export function parseCtaExtension(block: Uint8Array, blockIndex: number, problems: ProblemList): CtaExtension {
  const revision = block[1]!;
  const dtdStart = block[2]!;
  const flags = block[3]!;
  const ext: CtaExtension = {
    revision,
    underscan: revision >= 2 && (flags & 0x80) !== 0,
    basicAudio: revision >= 2 && (flags & 0x40) !== 0,
    ycbcr444: revision >= 2 && (flags & 0x20) !== 0,
    ycbcr422: revision >= 2 && (flags & 0x10) !== 0,
    nativeDetailedTimings: revision >= 2 ? flags & 0x0f : 0,
    dataBlocks: [],
    detailedTimings: [],
    hdmi: false,
  };
  if (revision < 1 || revision > 3) problems.warning(blockIndex, 1, `CTA-861 revision ${revision} (expected 1-3)`);
  // Byte 2 = 0: no data blocks and no detailed timings; otherwise 4..127 (4 = no data blocks).
  if (dtdStart === 0) return ext;
  if (dtdStart < 4 || dtdStart > BLOCK_SIZE - 1) {
    problems.error(blockIndex, 2, `CTA-861 detailed timing offset ${dtdStart} outside 4..127`);
    return ext;
  }
  if (revision >= 3) {
    let offset = 4;
    while (offset < dtdStart) {
      const tag = block[offset]! >> 5;
      const length = block[offset]! & 0x1f;
      if (offset + 1 + length > dtdStart) {
        problems.error(blockIndex, offset, `CTA-861 data block (tag ${tag}, ${length} bytes) runs past the data block collection (ends at ${dtdStart})`);
        break;
      }
      const entry = readDataBlock(block, offset, length, tag);
      if (entry.physicalAddress !== undefined) ext.hdmi = true;
      ext.dataBlocks.push(entry);
      offset += 1 + length;
    }
  } else if (dtdStart > 4) {
    problems.warning(blockIndex, 2, `CTA-861 revision ${revision} has no data block collection but byte 2 is ${dtdStart}`);
  }
  for (let offset = dtdStart; offset + DESCRIPTOR_LENGTH <= BLOCK_SIZE - 1; offset += DESCRIPTOR_LENGTH) {
    const d = block.subarray(offset, offset + DESCRIPTOR_LENGTH);
    if (d[0] === 0 && d[1] === 0) break;
    const detailed = decodeDetailedTiming(d);
    checkDetailedTiming(detailed, blockIndex, offset, problems);
    ext.detailedTimings.push({ offset, detailed });
  }
  return ext;
}
