/**
 * os-autoinst's PPM reader, as a test stand-in for the client: `consoles/video_stream.pm`
 * (`_receive_frame`) reads 20 bytes and requires them to match `m/^(P6\n(\d+) (\d+)\n(\d+)\n)/`,
 * then W·H·3 bytes (maxval < 256) of RGB, or the job dies with "Invalid PPM header". Tests parse
 * what the agent serves with it to prove os-autoinst would accept every frame.
 */
import type { RgbImage } from '../../agent/video/convert';

/** The os-autoinst header rule. */
export const OS_AUTOINST_PPM_HEADER = /^(P6\n(\d+) (\d+)\n(\d+)\n)/;

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
