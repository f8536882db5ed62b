import t from 'tap';
import sharp from 'sharp';
import { convertRawToRgb24, decodeMjpeg, toRgb24 } from '../../../agent/video/convert';
import { ffmpegConvertRaw, maxDeviation, requireFfmpeg } from './fixtures/tools';

/**
 * Max per-channel deviation from ffmpeg's swscale we accept. Both implement BT.601 limited range;
 * swscale's table-driven yuv2rgb (5.1, any -sws_flags) rounds its coefficients differently and
 * lands up to 3 away from the exact integer formula (measured on the gradient below).
 */
const BOUND = 3;

// BT.601 limited-range YUV of black, white and the 100 % primaries (Y, U, V).
const VECTORS: Record<string, [number, number, number]> = {
  black: [16, 128, 128],
  white: [235, 128, 128],
  red: [81, 90, 240],
  green: [145, 54, 34],
  blue: [41, 240, 110],
};

function uyvyFromPairs(pairs: Array<[number, number, number, number]>): Buffer {
  // each pair: U, Y0, V, Y1
  return Buffer.from(pairs.flat());
}

/** A W×H UYVY gradient: Y ramps left→right, U top→bottom, V varies with both. */
function uyvyGradient(width: number, height: number): Buffer {
  const b = Buffer.alloc(width * height * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x += 2) {
      const o = (y * width + x) * 2;
      b[o] = Math.round((y * 255) / (height - 1)); // U (full 0..255: exercises clamping)
      b[o + 1] = Math.round((x * 255) / (width - 1)); // Y0
      b[o + 2] = (x * 3 + y * 5) & 0xff; // V
      b[o + 3] = Math.round(((x + 1) * 255) / (width - 1)); // Y1
    }
  }
  return b;
}

function uyvyToYuyv(uyvy: Buffer): Buffer {
  const out = Buffer.alloc(uyvy.length);
  for (let i = 0; i < uyvy.length; i += 4) {
    out[i] = uyvy[i + 1]!;
    out[i + 1] = uyvy[i]!;
    out[i + 2] = uyvy[i + 3]!;
    out[i + 3] = uyvy[i + 2]!;
  }
  return out;
}

t.test('UYVY solid colours match ffmpeg within the bound', async (t) => {
  if (!requireFfmpeg(t)) return;
  for (const [name, [y, u, v]] of Object.entries(VECTORS)) {
    const input = uyvyFromPairs(Array.from({ length: 8 }, () => [u, y, v, y] as [number, number, number, number]));
    const ours = convertRawToRgb24(input, { format: 'UYVY', width: 4, height: 4 }).rgb;
    const ref = ffmpegConvertRaw(input, 'uyvy422', 4, 4);
    t.ok(maxDeviation(ours, ref) <= BOUND, `${name}: max deviation ${maxDeviation(ours, ref)} ≤ ${BOUND}`);
  }
  const black = convertRawToRgb24(uyvyFromPairs([[128, 16, 128, 16]]), { format: 'UYVY', width: 2, height: 1 }).rgb;
  t.same([...black], [0, 0, 0, 0, 0, 0], 'black is exactly 0');
  const white = convertRawToRgb24(uyvyFromPairs([[128, 235, 128, 235]]), { format: 'UYVY', width: 2, height: 1 }).rgb;
  t.same([...white], [255, 255, 255, 255, 255, 255], 'white is exactly 255');
  const red = convertRawToRgb24(uyvyFromPairs([[90, 81, 240, 81]]), { format: 'UYVY', width: 2, height: 1 }).rgb;
  t.same([...red.subarray(0, 3)], [255, 0, 0], 'BT.601 red is exactly 255,0,0 (hand-computed)');
});

t.test('UYVY and YUYV gradients match ffmpeg within the bound', async (t) => {
  if (!requireFfmpeg(t)) return;
  const w = 64;
  const h = 32;
  const uyvy = uyvyGradient(w, h);
  const ours = convertRawToRgb24(uyvy, { format: 'UYVY', width: w, height: h }).rgb;
  const ref = ffmpegConvertRaw(uyvy, 'uyvy422', w, h);
  const dev = maxDeviation(ours, ref);
  t.ok(dev <= BOUND, `UYVY gradient deviation ${dev} ≤ ${BOUND}`);
  const yuyv = uyvyToYuyv(uyvy);
  const ours2 = convertRawToRgb24(yuyv, { format: 'YUYV', width: w, height: h }).rgb;
  const ref2 = ffmpegConvertRaw(yuyv, 'yuyv422', w, h);
  t.ok(maxDeviation(ours2, ref2) <= BOUND, `YUYV gradient deviation ${maxDeviation(ours2, ref2)} ≤ ${BOUND}`);
  t.same(ours2, ours, 'YUYV and UYVY of the same picture convert identically');
});

t.test('bytesperline padding is skipped', async (t) => {
  const w = 6;
  const h = 3;
  const packed = uyvyGradient(w, h);
  const stride = w * 2 + 10;
  const padded = Buffer.alloc(stride * h, 0xee);
  for (let y = 0; y < h; y++) packed.copy(padded, y * stride, y * w * 2, (y + 1) * w * 2);
  const a = convertRawToRgb24(packed, { format: 'UYVY', width: w, height: h }).rgb;
  const b = convertRawToRgb24(padded, { format: 'UYVY', width: w, height: h, bytesPerLine: stride }).rgb;
  t.same(b, a, 'padded UYVY equals packed');
  const rgb = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => i & 0xff));
  const rgbStride = w * 3 + 2;
  const rgbPadded = Buffer.alloc(rgbStride * h, 0x55);
  for (let y = 0; y < h; y++) rgb.copy(rgbPadded, y * rgbStride, y * w * 3, (y + 1) * w * 3);
  t.same(convertRawToRgb24(rgbPadded, { format: 'RGB24', width: w, height: h, bytesPerLine: rgbStride }).rgb, rgb, 'padded RGB24');
  t.throws(() => convertRawToRgb24(packed, { format: 'UYVY', width: w, height: h + 1 }), { code: 'bad-argument' }, 'short buffer refused');
  t.throws(() => convertRawToRgb24(packed, { format: 'UYVY', width: 5, height: 1 }), { code: 'bad-argument' }, 'odd width refused');
});

/** The BT.601 integer formula of convert.ts's header, written out plainly per pixel pair. */
function referenceYuv422(input: Uint8Array, width: number, height: number, stride: number, yFirst: boolean): Buffer {
  const clip = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);
  const out = Buffer.alloc(width * height * 3);
  let o = 0;
  for (let row = 0; row < height; row++) {
    for (let x = 0; x < width; x += 2) {
      const s = row * stride + x * 2;
      const [y0, u, y1, v] = yFirst ? [input[s]!, input[s + 1]!, input[s + 2]!, input[s + 3]!] : [input[s + 1]!, input[s]!, input[s + 3]!, input[s + 2]!];
      for (const y of [y0, y1]) {
        const c = y - 16;
        const d = u - 128;
        const e = v - 128;
        out[o++] = clip((298 * c + 409 * e + 128) >> 8);
        out[o++] = clip((298 * c - 100 * d - 208 * e + 128) >> 8);
        out[o++] = clip((298 * c + 516 * d + 128) >> 8);
      }
    }
  }
  return out;
}

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) & 0xff;
  };
}

t.test('UYVY and YUYV equal the plain formula for every (Y, U, V) triple', async (t) => {
  // one row per (U, V): 128 pairs with Y0 = 2k, Y1 = 2k + 1, so every Y meets every chroma pair
  const width = 256;
  const height = 256 * 256;
  for (const yFirst of [false, true]) {
    const input = Buffer.alloc(width * height * 2);
    for (let row = 0; row < height; row++) {
      const u = row >> 8;
      const v = row & 0xff;
      for (let k = 0; k < 128; k++) {
        const s = (row * 128 + k) * 4;
        if (yFirst) input.set([2 * k, u, 2 * k + 1, v], s);
        else input.set([u, 2 * k, v, 2 * k + 1], s);
      }
    }
    const format = yFirst ? 'YUYV' : 'UYVY';
    const { rgb } = convertRawToRgb24(input, { format, width, height });
    const expected = referenceYuv422(input, width, height, width * 2, yFirst);
    t.equal(rgb.length, expected.length, `${format}: output size`);
    t.equal(Buffer.compare(rgb, expected), 0, `${format}: all 2^24 triples bit-identical`);
  }
});

t.test('random frames with odd offsets, padded strides and band edges equal the plain formula', async (t) => {
  const seed = 0x59565955;
  const next = prng(seed);
  // [width, height, padding bytes per row, input byteOffset]: pure row tails (2), exact 16-pixel
  // blocks (16, 1024), block + tail (18, 46, 1030), odd strides, several bands per frame (1030×70,
  // 1024×64) and rows larger than one band (60002)
  const cases: Array<[number, number, number, number]> = [
    [2, 300, 2, 1],
    [16, 40, 0, 3],
    [18, 40, 6, 1],
    [46, 30, 5, 2],
    [1030, 70, 70, 1],
    [60002, 3, 9, 3],
    [1024, 64, 0, 0],
    [34, 17, 1, 0],
  ];
  for (const yFirst of [false, true]) {
    const format = yFirst ? 'YUYV' : 'UYVY';
    for (const [width, height, padding, offset] of cases) {
      const stride = width * 2 + padding;
      const length = stride * (height - 1) + width * 2; // the last row ends without its padding
      const input = Buffer.alloc(offset + length).subarray(offset);
      for (let i = 0; i < length; i++) input[i] = next();
      // the first 256 pixel pairs give every sample (Y0, U, Y1, V) each of its 256 values
      for (let p = 0; p < 256; p++) {
        const pairsPerRow = width / 2;
        const s = Math.floor(p / pairsPerRow) * stride + (p % pairsPerRow) * 4;
        input.set([p, 255 - p, (p * 3 + 7) & 0xff, (p + 85) & 0xff], s);
      }
      const size = width * height * 3;
      const out = Buffer.alloc(5 + size + 2, 0xaa).subarray(5);
      const { rgb } = convertRawToRgb24(input, { format, width, height, bytesPerLine: stride }, out);
      const name = `${format} ${width}x${height} stride ${stride} offset ${offset} (seed ${seed})`;
      t.equal(rgb.buffer, out.buffer, `${name}: written into the caller buffer`);
      t.equal(Buffer.compare(rgb, referenceYuv422(input, width, height, stride, yFirst)), 0, `${name}: bit-identical`);
      t.same([...out.subarray(size)], [0xaa, 0xaa], `${name}: nothing written past the frame`);
    }
  }
});

t.test('RGB24 (with optional R/B swap) and BGR24', async (t) => {
  if (!requireFfmpeg(t)) return;
  const w = 8;
  const h = 2;
  const rgb = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 37) & 0xff));
  t.same(convertRawToRgb24(rgb, { format: 'RGB24', width: w, height: h }).rgb, rgb, 'RGB24 passes through');
  const bgrRef = ffmpegConvertRaw(rgb, 'bgr24', w, h); // ffmpeg reads our bytes as BGR
  t.same(convertRawToRgb24(rgb, { format: 'BGR24', width: w, height: h }).rgb, bgrRef, 'BGR24 equals ffmpeg bgr24→rgb24');
  t.same(convertRawToRgb24(rgb, { format: 'RGB24', width: w, height: h, swapRedBlue: true }).rgb, bgrRef, 'RGB24 with swap = BGR24');
  t.same(convertRawToRgb24(rgb, { format: 'BGR24', width: w, height: h, swapRedBlue: true }).rgb, rgb, 'BGR24 with swap = RGB24');
});

t.test('MJPEG decodes through sharp', async (t) => {
  const w = 32;
  const h = 16;
  const src = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) src.set(i < (w * h) / 2 ? [200, 40, 40] : [40, 40, 200], i * 3);
  const jpeg = await sharp(src, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 100 }).toBuffer();
  const img = await decodeMjpeg(jpeg);
  t.equal(img.width, w);
  t.equal(img.height, h);
  t.equal(img.rgb.length, w * h * 3, 'three channels');
  // Compare the first and last rows (away from the colour edge, where chroma subsampling blurs).
  const row = w * 3;
  const first = maxDeviation(img.rgb.subarray(0, row), src.subarray(0, row));
  const last = maxDeviation(img.rgb.subarray(img.rgb.length - row), src.subarray(src.length - row));
  t.ok(first <= 8 && last <= 8, `JPEG round trip close to the source away from the edge (${first}, ${last})`);
  const via = await toRgb24(jpeg, { format: 'MJPEG', width: 0 + w, height: h });
  t.same(via.rgb, img.rgb, 'toRgb24 dispatches MJPEG');
  const grey = await sharp(Buffer.alloc(w * h, 128), { raw: { width: w, height: h, channels: 1 } }).jpeg().toBuffer();
  t.equal((await decodeMjpeg(grey)).rgb.length, w * h * 3, 'greyscale JPEG becomes RGB');
  await t.rejects(decodeMjpeg(Buffer.from('not a jpeg')), { code: 'bad-argument' });
});
