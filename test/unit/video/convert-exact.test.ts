/**
 * The YUV 4:2:2 conversion must equal the documented integer BT.601 formula bit for bit (the
 * ffmpeg comparison in convert.test.ts only bounds the deviation). Every (U, V) pair is covered,
 * with Y values spread over the whole byte range, including the clipping edges.
 */
import t from 'tap';
import { convertRawToRgb24 } from '../../../agent/video/convert';

const clip = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);

/** The formula of convert.ts's header comment, written out plainly per pixel. */
function referencePixel(y: number, u: number, v: number): [number, number, number] {
  const c = y - 16;
  const d = u - 128;
  const e = v - 128;
  return [clip((298 * c + 409 * e + 128) >> 8), clip((298 * c - 100 * d - 208 * e + 128) >> 8), clip((298 * c + 516 * d + 128) >> 8)];
}

/** 256×256 pixel pairs: pair (u, v) at row u, column v; Y0 and Y1 vary with both. */
function allChromaPairs(yFirst: boolean): { input: Buffer; expected: Buffer } {
  const width = 512;
  const height = 256;
  const input = Buffer.alloc(width * height * 2);
  const expected = Buffer.alloc(width * height * 3);
  for (let u = 0; u < 256; u++) {
    for (let v = 0; v < 256; v++) {
      const y0 = (u * 7 + v * 13) & 0xff;
      const y1 = (u * 31 + v * 3 + 128) & 0xff;
      const s = (u * 256 + v) * 4;
      if (yFirst) input.set([y0, u, y1, v], s);
      else input.set([u, y0, v, y1], s);
      expected.set([...referencePixel(y0, u, v), ...referencePixel(y1, u, v)], (u * 256 + v) * 6);
    }
  }
  return { input, expected };
}

t.test('UYVY equals the integer formula for every U/V pair', async (t) => {
  const { input, expected } = allChromaPairs(false);
  const { rgb } = convertRawToRgb24(input, { format: 'UYVY', width: 512, height: 256 });
  t.equal(Buffer.compare(rgb, expected), 0, 'bytes identical');
});

t.test('YUYV equals the integer formula for every U/V pair', async (t) => {
  const { input, expected } = allChromaPairs(true);
  const { rgb } = convertRawToRgb24(input, { format: 'YUYV', width: 512, height: 256 });
  t.equal(Buffer.compare(rgb, expected), 0, 'bytes identical');
});

t.test('every Y value at the chroma extremes, through a caller buffer', async (t) => {
  const corners = [0, 16, 128, 240, 255];
  const width = 512; // 256 pairs: Y0 = k, Y1 = 255 - k
  const height = corners.length * corners.length;
  const input = Buffer.alloc(width * height * 2);
  const expected = Buffer.alloc(width * height * 3);
  let row = 0;
  for (const u of corners) {
    for (const v of corners) {
      for (let k = 0; k < 256; k++) {
        input.set([u, k, v, 255 - k], (row * 256 + k) * 4);
        expected.set([...referencePixel(k, u, v), ...referencePixel(255 - k, u, v)], (row * 256 + k) * 6);
      }
      row++;
    }
  }
  const out = Buffer.alloc(width * height * 3, 0xaa);
  const { rgb } = convertRawToRgb24(input, { format: 'UYVY', width, height }, out);
  t.equal(rgb.buffer, out.buffer, 'written into the caller buffer');
  t.equal(Buffer.compare(rgb, expected), 0, 'bytes identical');
});
