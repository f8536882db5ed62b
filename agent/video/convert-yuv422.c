/*
 * 4:2:2 packed YUV (UYVY or YUYV) -> packed RGB24, as a WebAssembly SIMD kernel.
 *
 * Built by bench/build-yuv422-wasm.ts (clang --target=wasm32 -msimd128 -O3 -nostdlib, lld) into
 * convert-yuv422-wasm.ts, which embeds the module; convert-yuv422.ts loads it and copies bands of
 * rows in and out of the module's memory. No libc, no imports, no static data.
 *
 * The result is bit-identical to the integer BT.601 formula of convert.ts:
 *
 *   C = Y - 16, D = U - 128, E = V - 128
 *   R = clip((298*C + 409*E + 128) >> 8)
 *   G = clip((298*C - 100*D - 208*E + 128) >> 8)
 *   B = clip((298*C + 516*D + 128) >> 8)
 *
 * The sums need 18 bits, too wide for 16-bit lanes. Splitting every coefficient k into 256*q + r
 * moves 256*q*X out of the shift exactly (floor((256*n + x) / 256) = n + floor(x / 256)):
 *
 *   R = C + E     + ((42*C + 153*E + 128) >> 8)
 *   G = C - E     + ((42*C - 100*D + 48*E + 128) >> 8)
 *   B = C + 2*D   + ((42*C + 4*D + 128) >> 8)
 *
 * and the remaining sums stay within -20128..29597 for every 8-bit Y, U, V, so eight pixels are
 * computed per 16-bit vector (test/unit/video/convert.test.ts checks all 2^24 Y/U/V triples).
 * The unsigned saturating narrow i16 -> u8 is the clip to 0..255.
 *
 * Byte order (kernel Documentation/userspace-api/media/v4l/pixfmt-packed-yuv.rst): UYVY is
 * Cb Y0 Cr Y1, YUYV is Y0 Cb Y1 Cr; read as little-endian 16-bit lanes, Y is the high byte of
 * each lane in UYVY and the low byte in YUYV, and the other byte alternates Cb, Cr.
 */
#include <stdint.h>
#include <wasm_simd128.h>

/* Eight pixels (16 source bytes) to R, G, B as signed 16-bit lanes, not yet clipped. */
static inline void pixels8(v128_t src, int y_first, v128_t *r, v128_t *g, v128_t *b) {
  const v128_t low_byte = wasm_i16x8_splat(0xff);
  v128_t y = y_first ? wasm_v128_and(src, low_byte) : wasm_u16x8_shr(src, 8);
  v128_t chroma = y_first ? wasm_u16x8_shr(src, 8) : wasm_v128_and(src, low_byte);
  v128_t c = wasm_i16x8_sub(y, wasm_i16x8_splat(16));
  chroma = wasm_i16x8_sub(chroma, wasm_i16x8_splat(128)); /* D0 E0 D1 E1 D2 E2 D3 E3 */
  /* both pixels of a pair share its chroma: D0 D0 D1 D1 ..., E0 E0 E1 E1 ... */
  v128_t d = wasm_i8x16_shuffle(chroma, chroma, 0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
  v128_t e = wasm_i8x16_shuffle(chroma, chroma, 2, 3, 2, 3, 6, 7, 6, 7, 10, 11, 10, 11, 14, 15, 14, 15);
  v128_t luma = wasm_i16x8_add(wasm_i16x8_mul(c, wasm_i16x8_splat(42)), wasm_i16x8_splat(128));
  v128_t xr = wasm_i16x8_add(luma, wasm_i16x8_mul(e, wasm_i16x8_splat(153)));
  v128_t xg = wasm_i16x8_add(luma, wasm_i16x8_add(wasm_i16x8_mul(d, wasm_i16x8_splat(-100)),
                                                  wasm_i16x8_mul(e, wasm_i16x8_splat(48))));
  v128_t xb = wasm_i16x8_add(luma, wasm_i16x8_shl(d, 2));
  *r = wasm_i16x8_add(wasm_i16x8_add(c, e), wasm_i16x8_shr(xr, 8));
  *g = wasm_i16x8_add(wasm_i16x8_sub(c, e), wasm_i16x8_shr(xg, 8));
  *b = wasm_i16x8_add(wasm_i16x8_add(c, wasm_i16x8_shl(d, 1)), wasm_i16x8_shr(xb, 8));
}

/* Sixteen pixels: 32 source bytes -> 48 RGB bytes. */
static inline void pixels16(const uint8_t *s, uint8_t *out, int y_first) {
  v128_t r0, g0, b0, r1, g1, b1;
  pixels8(wasm_v128_load(s), y_first, &r0, &g0, &b0);
  pixels8(wasm_v128_load(s + 16), y_first, &r1, &g1, &b1);
  v128_t r = wasm_u8x16_narrow_i16x8(r0, r1);
  v128_t g = wasm_u8x16_narrow_i16x8(g0, g1);
  v128_t b = wasm_u8x16_narrow_i16x8(b0, b1);
  /* Interleave planes into R G B triplets: place R and G first (B slots are don't-care 0), then
   * fill the B slots from b. Shuffle indices 0..15 pick from the first operand, 16..31 from the
   * second. */
  v128_t rg = wasm_i8x16_shuffle(r, g, 0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
  wasm_v128_store(out, wasm_i8x16_shuffle(rg, b, 0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15));
  rg = wasm_i8x16_shuffle(r, g, 21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
  wasm_v128_store(out + 16, wasm_i8x16_shuffle(rg, b, 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15));
  rg = wasm_i8x16_shuffle(r, g, 0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
  wasm_v128_store(out + 32, wasm_i8x16_shuffle(rg, b, 26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31));
}

static inline uint8_t clip(int x) { return x < 0 ? 0 : x > 255 ? 255 : (uint8_t)x; }

/* One pixel pair with the plain formula: the row tail after the last 16-pixel block. */
static inline void pair(const uint8_t *s, uint8_t *out, int y_first) {
  int c0 = (y_first ? s[0] : s[1]) - 16, c1 = (y_first ? s[2] : s[3]) - 16;
  int d = (y_first ? s[1] : s[0]) - 128, e = (y_first ? s[3] : s[2]) - 128;
  int ya = 298 * c0 + 128, yb = 298 * c1 + 128;
  int rv = 409 * e, guv = -100 * d - 208 * e, bu = 516 * d;
  out[0] = clip((ya + rv) >> 8);
  out[1] = clip((ya + guv) >> 8);
  out[2] = clip((ya + bu) >> 8);
  out[3] = clip((yb + rv) >> 8);
  out[4] = clip((yb + guv) >> 8);
  out[5] = clip((yb + bu) >> 8);
}

/*
 * Convert `height` rows of `width` pixels (even) starting at `src`, rows `stride` bytes apart,
 * into packed RGB24 rows at `dst` (width*3 bytes each, no padding). y_first: 1 = YUYV, 0 = UYVY.
 */
__attribute__((export_name("yuv422_to_rgb24")))
void yuv422_to_rgb24(const uint8_t *src, uint32_t stride, uint8_t *dst, uint32_t width, uint32_t height,
                     uint32_t y_first) {
  const uint32_t blocks = width / 16;
  for (uint32_t row = 0; row < height; row++) {
    const uint8_t *s = src + row * stride;
    uint8_t *out = dst + row * width * 3;
    /* two loops so the layout test is outside the hot path */
    if (y_first) {
      for (uint32_t k = 0; k < blocks; k++, s += 32, out += 48) pixels16(s, out, 1);
    } else {
      for (uint32_t k = 0; k < blocks; k++, s += 32, out += 48) pixels16(s, out, 0);
    }
    for (uint32_t x = blocks * 16; x < width; x += 2, s += 4, out += 6) pair(s, out, (int)y_first);
  }
}
