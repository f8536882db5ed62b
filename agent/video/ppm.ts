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

const PPM_MAXVAL = 255;

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
