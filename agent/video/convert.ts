/**
 * Pixel conversion of captured buffers to packed RGB24.
 *
 * YUV formats use ITU-R BT.601 with limited ("studio") range, Y in 16..235 and Cb/Cr in 16..240,
 * which is what the TC358743 HDMI bridge and USB capture dongles deliver for CEA/DMT modes. The
 * integer form (8-bit fixed point, ×256) is the one Microsoft documents in "Converting 8-bit YUV
 * to RGB888" (learn.microsoft.com, "Recommended 8-Bit YUV Formats for Video Rendering"):
 *
 *   C = Y - 16, D = U - 128, E = V - 128
 *   R = clip((298·C           + 409·E + 128) >> 8)
 *   G = clip((298·C - 100·D   - 208·E + 128) >> 8)
 *   B = clip((298·C + 516·D           + 128) >> 8)
 *
 * 4:2:2 chroma is shared by each pixel pair (no interpolation). Compared with ffmpeg's swscale
 * (`-pix_fmt uyvy422 → rgb24`, default flags) the result differs by at most 2 per channel (see
 * test/unit/video/convert.test.ts).
 *
 * Packed YUV layouts (kernel Documentation/userspace-api/media/v4l/pixfmt-packed-yuv.rst):
 * UYVY = Cb Y0 Cr Y1, YUYV = Y0 Cb Y1 Cr. `bytesPerLine` may exceed the visible row (padding).
 * The YUV arithmetic runs in a WebAssembly SIMD kernel (convert-yuv422.ts): ≈ 0.7–0.9 ms per
 * 1024×768 frame instead of ≈ 3.0 ms for a JS loop (bench/video-convert.ts).
 */
import sharp from 'sharp';
import { AgentError } from '../errors';
import { convertYuv422 } from './convert-yuv422';

export type CapturePixelFormat = 'UYVY' | 'YUYV' | 'RGB24' | 'BGR24' | 'MJPEG';

export interface RawLayout {
  format: CapturePixelFormat;
  width: number;
  height: number;
  /** bytes from one row to the next in the source; defaults to the packed row size */
  bytesPerLine?: number;
  /**
   * Swap R and B of an RGB24 source. The TC358743 delivers "RGB24" with red and blue exchanged
   * on some PiKVM builds (kvmd/ustreamer expose the same switch); off by default.
   */
  swapRedBlue?: boolean;
}

export interface RgbImage {
  width: number;
  height: number;
  rgb: Buffer;
}

function packedBytesPerPixel(format: CapturePixelFormat): number {
  switch (format) {
    case 'UYVY':
    case 'YUYV':
      return 2;
    case 'RGB24':
    case 'BGR24':
      return 3;
    case 'MJPEG':
      return 0;
  }
}

function checkLayout(input: Buffer, layout: RawLayout): number {
  const { width, height } = layout;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new AgentError('bad-argument', `invalid frame size ${width}x${height}`);
  }
  const bpp = packedBytesPerPixel(layout.format);
  if ((layout.format === 'UYVY' || layout.format === 'YUYV') && width % 2 !== 0) {
    throw new AgentError('bad-argument', `${layout.format} needs an even width, got ${width}`);
  }
  const stride = layout.bytesPerLine ?? width * bpp;
  if (stride < width * bpp) throw new AgentError('bad-argument', `bytesperline ${stride} < row size ${width * bpp}`);
  const needed = stride * (height - 1) + width * bpp;
  if (input.length < needed) {
    throw new AgentError('bad-argument', `${layout.format} ${width}x${height} needs ${needed} bytes, got ${input.length}`);
  }
  return stride;
}

function convertRgb(input: Buffer, width: number, height: number, stride: number, swap: boolean, out: Buffer): void {
  const row = width * 3;
  if (!swap) {
    if (stride === row) {
      input.copy(out, 0, 0, row * height);
    } else {
      for (let y = 0; y < height; y++) input.copy(out, y * row, y * stride, y * stride + row);
    }
    return;
  }
  let d = 0;
  for (let y = 0; y < height; y++) {
    let s = y * stride;
    const end = s + row;
    for (; s < end; s += 3) {
      out[d] = input[s + 2]!;
      out[d + 1] = input[s + 1]!;
      out[d + 2] = input[s]!;
      d += 3;
    }
  }
}

/**
 * Convert an uncompressed capture buffer to RGB24, synchronously. `out` may be passed to reuse a
 * buffer of `width*height*3` bytes. MJPEG is not uncompressed: use `toRgb24`.
 */
export function convertRawToRgb24(input: Buffer, layout: RawLayout, out?: Buffer): RgbImage {
  if (layout.format === 'MJPEG') throw new AgentError('bad-argument', 'MJPEG needs decoding: use toRgb24()');
  const stride = checkLayout(input, layout);
  const { width, height } = layout;
  const size = width * height * 3;
  const rgb = out && out.length >= size ? out.subarray(0, size) : Buffer.allocUnsafe(size);
  switch (layout.format) {
    case 'UYVY':
      convertYuv422(input, width, height, stride, false, rgb);
      break;
    case 'YUYV':
      convertYuv422(input, width, height, stride, true, rgb);
      break;
    case 'RGB24':
      convertRgb(input, width, height, stride, layout.swapRedBlue === true, rgb);
      break;
    case 'BGR24':
      convertRgb(input, width, height, stride, layout.swapRedBlue !== true, rgb);
      break;
  }
  return { width, height, rgb };
}

/**
 * Decode a JPEG (V4L2 MJPEG buffer) to RGB24 with sharp. The size comes from the JPEG itself;
 * greyscale or CMYK JPEGs are converted to sRGB so the result always has 3 channels.
 */
export async function decodeMjpeg(input: Buffer): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(input).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return { width: info.width, height: info.height, rgb: data };
  } catch (e) {
    throw new AgentError('bad-argument', `MJPEG frame could not be decoded: ${(e as Error).message}`, e);
  }
}

/** Convert any supported capture buffer to RGB24. */
export async function toRgb24(input: Buffer, layout: RawLayout, out?: Buffer): Promise<RgbImage> {
  if (layout.format === 'MJPEG') return decodeMjpeg(input);
  return convertRawToRgb24(input, layout, out);
}
