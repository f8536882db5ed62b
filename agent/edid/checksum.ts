/**
 * EDID blocks are 128 bytes; the last byte of each makes the sum of all 128 ≡ 0 (mod 256)
 * (E-EDID 1.4 section 3.11; CTA-861 extensions the same). The kernel's V4L2 receivers and sources
 * reading the sink's EDID check each block independently.
 */
export const BLOCK_SIZE = 128;

/** The value byte 127 of `block` must hold. */
export function expectedChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE - 1; i++) sum += block[i] ?? 0;
  return (256 - (sum % 256)) % 256;
}

export function checksumOk(block: Uint8Array): boolean {
  return block.length >= BLOCK_SIZE && block[BLOCK_SIZE - 1] === expectedChecksum(block);
}

export interface ChecksumFix {
  block: number;
  was: number;
  now: number;
}

/**
 * A copy of `edid` with every complete block's checksum corrected, and the list of blocks changed.
 * Bytes after the last complete block are kept as they are.
 */
export function fixChecksums(edid: Uint8Array): { edid: Uint8Array; fixed: ChecksumFix[] } {
  const out = Uint8Array.from(edid);
  const fixed: ChecksumFix[] = [];
  for (let b = 0; (b + 1) * BLOCK_SIZE <= out.length; b++) {
    const block = out.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE);
    const want = expectedChecksum(block);
    if (block[BLOCK_SIZE - 1] !== want) {
      fixed.push({ block: b, was: block[BLOCK_SIZE - 1]!, now: want });
      block[BLOCK_SIZE - 1] = want;
    }
  }
  return { edid: out, fixed };
}
