/**
 * EDID file formats. Written: raw binary, or the hex text PiKVM keeps in
 * /etc/kvmd/tc358743-edid.hex (kvmd/edid.py `write_hex`): 16 bytes per line, upper-case, no
 * separators. v4l2-ctl's `--set-edid file=` reader (utils/v4l2-ctl/v4l2-ctl-edid.cpp,
 * read_edid_file) takes pairs of hex digits and skips whitespace; older releases skip *every*
 * non-hex character and newer ones stop at the first, so a shipped file must hold nothing but hex
 * digits and newlines — no comments.
 * Read: raw binary; hex text with whitespace, commas, colons, semicolons or 0x prefixes; and the
 * dumps of `edid-decode` ("edid-decode (hex):" then hex lines, then the decoded text) and of
 * `v4l2-ctl --get-edid` (with "Block has a checksum error" lines).
 */
import { EDID_HEADER } from './parse';

export type EdidFileFormat = 'hex' | 'bin';

export function toHexText(edid: Uint8Array): string {
  let out = '';
  for (let i = 0; i < edid.length; i += 16) {
    out += Array.from(edid.subarray(i, i + 16), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('') + '\n';
  }
  return out;
}

export interface ReadEdid {
  bytes: Uint8Array;
  format: EdidFileFormat;
  /** Why the text could not be read as hex (the bytes are then empty). */
  error?: string;
}

function startsWithHeader(data: Uint8Array): boolean {
  return data.length >= EDID_HEADER.length && EDID_HEADER.every((b, i) => data[i] === b);
}

/** Text is printable ASCII plus whitespace; anything else means binary. */
function looksLikeText(data: Uint8Array): boolean {
  return data.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
}

/** The hex digits of a data line, or undefined if the line is not one. */
function hexLineDigits(line: string): string | undefined {
  const digits = line.replace(/0x/gi, '').replace(/[\s,:;]/g, '');
  if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(digits)) return undefined;
  return digits;
}

/** Decode a file's content as binary or hex text. Never throws. */
export function readEdidFile(data: Uint8Array): ReadEdid {
  if (data.length === 0) return { bytes: new Uint8Array(0), format: 'bin' };
  if (startsWithHeader(data) || !looksLikeText(data)) return { bytes: Uint8Array.from(data), format: 'bin' };
  const lines = Buffer.from(data).toString('latin1').split(/\r?\n/);
  let digits = '';
  let started = false;
  for (const [i, line] of lines.entries()) {
    const hex = hexLineDigits(line);
    if (hex !== undefined) {
      digits += hex;
      started = true;
    } else if (line.trim() === '' || /checksum error/i.test(line)) {
      continue;
    } else if (started) {
      // The decoded text that follows an edid-decode dump (after a blank line and dashes).
      break;
    } else if (!/\(hex\):\s*$/.test(line)) {
      return { bytes: new Uint8Array(0), format: 'hex', error: `line ${i + 1} is neither hex bytes nor a dump header: ${JSON.stringify(line.slice(0, 40))}` };
    }
  }
  return { bytes: Uint8Array.from(Buffer.from(digits, 'hex')), format: 'hex' };
}

export function encodeEdidFile(edid: Uint8Array, format: EdidFileFormat): Uint8Array | string {
  return format === 'hex' ? toHexText(edid) : edid;
}
