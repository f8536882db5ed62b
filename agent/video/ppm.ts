/**
 * Binary PPM (P6) encoding in the exact header form os-autoinst accepts.
 *
 * os-autoinst `consoles/video_stream.pm` (`_receive_frame`) reads 20 bytes from ffmpeg's stdout
 * and requires them to match `m/^(P6\n(\d+) (\d+)\n(\d+)\n)/` — one `\n` after each field, a
 * single space between width and height, no comments — or the job dies with
 * "Invalid PPM header". With maxval 255 (< 256) it expects 1 byte per sample, i.e. W·H·3 bytes of
 * RGB after the header. So we always write `P6\n<w> <h>\n255\n`, which for any size up to
 * 99999×99999 fits in those 20 bytes.
 */
import type { RgbImage } from './convert';

export const PPM_MAXVAL = 255;

/** The os-autoinst header rule, for tests and the ffmpeg shim's self-check. */
export const OS_AUTOINST_PPM_HEADER = /^(P6\n(\d+) (\d+)\n(\d+)\n)/;

export function ppmHeader(width: number, height: number): Buffer {
  return Buffer.from(`P6\n${width} ${height}\n${PPM_MAXVAL}\n`, 'latin1');
}

/** Header and pixels as one buffer (copies the pixels; streams write `ppmParts` instead). */
export function encodePpm(image: RgbImage): Buffer {
  return Buffer.concat(ppmParts(image));
}

/** Header and pixels as two buffers, to write without copying the frame. */
export function ppmParts(image: RgbImage): [Buffer, Buffer] {
  return [ppmHeader(image.width, image.height), image.rgb.subarray(0, image.width * image.height * 3)];
}

export interface ParsedPpm extends RgbImage {
  /** bytes consumed (header + pixels) */
  length: number;
}

/**
 * Parse one PPM frame from the start of `data` the way os-autoinst does (header regex over the
 * first 20 bytes). Returns null when `data` does not yet hold a whole frame; throws on a header
 * os-autoinst would reject.
 */
export function parsePpmLikeOsAutoinst(data: Buffer): ParsedPpm | null {
  const head = data.subarray(0, 20).toString('latin1');
  const m = OS_AUTOINST_PPM_HEADER.exec(head);
  if (!m) {
    if (data.length < 20) return null; // os-autoinst would wait for more bytes too
    throw new Error(`Invalid PPM header: ${JSON.stringify(head)}`);
  }
  const headerLength = m[1]!.length;
  const width = Number(m[2]);
  const height = Number(m[3]);
  const bytesPerSample = Number(m[4]) < 256 ? 1 : 2;
  const length = headerLength + width * height * 3 * bytesPerSample;
  if (data.length < length) return null;
  return { width, height, rgb: data.subarray(headerLength, length), length };
}
