/**
 * A minimal CTA-861 extension (CTA-861-G section 7.5, revision 3) that makes a source treat the
 * sink as HDMI rather than DVI: a video data block, a video capability data block and the HDMI
 * vendor-specific data block (IEEE OUI 00-0C-03, CEC physical address 1.0.0.0, the value PiKVM's
 * default EDIDs carry). No audio: the capture path has none to offer.
 */
import { BLOCK_SIZE, expectedChecksum } from './checksum';
import { CTA_EXTENSION_TAG } from './cta';

/** CTA-861 VICs whose timing is identical to a DMT entry (CTA-861-G table 1 vs VESA DMT). */
const VIC_FOR_DMT: Record<number, number> = {
  0x04: 1, // 640x480p59.94/60
  0x55: 4, // 1280x720p60
  0x52: 16, // 1920x1080p60
};

export function vicForDmt(dmtId: number | undefined): number | undefined {
  return dmtId === undefined ? undefined : VIC_FOR_DMT[dmtId];
}

function dataBlock(tag: number, payload: number[]): number[] {
  return [(tag << 5) | payload.length, ...payload];
}

/**
 * The 128-byte extension. `vics` lists the short video descriptors (VIC 1, 640x480, is always
 * added: CTA-861 requires every sink to accept it). The preferred mode stays the base block's first
 * detailed timing, counted in byte 3 as one native format.
 */
export function makeCtaExtension(vics: number[]): Uint8Array {
  const list = [1, ...vics.filter((v) => v !== 1)];
  const blocks = [
    ...dataBlock(2, list),
    // Extended tag 0, video capability: QS=1 (source may choose the RGB quantization range and
    // signals it in the AVI InfoFrame), IT and CE formats always underscanned (S_IT = S_CE = 10b).
    ...dataBlock(7, [0x00, 0x40 | (2 << 2) | 2]),
    // HDMI VSDB: OUI 00-0C-03 little endian, physical address 1.0.0.0.
    ...dataBlock(3, [0x03, 0x0c, 0x00, 0x10, 0x00]),
  ];
  const b = new Uint8Array(BLOCK_SIZE);
  b[0] = CTA_EXTENSION_TAG;
  b[1] = 3; // revision 3
  b[2] = 4 + blocks.length; // detailed timings would start here; there are none
  // Bit 7: IT formats underscanned (as the video capability block says); no basic audio, RGB only;
  // low nibble: one native detailed timing (the base block's).
  b[3] = 0x80 | 0x01;
  b.set(blocks, 4);
  b[BLOCK_SIZE - 1] = expectedChecksum(b);
  return b;
}
