/**
 * Byte-level writer for NUT's field types (NUT specification, as implemented by ffmpeg
 * libavformat/nutenc.c): `v` = unsigned variable-length integer, 7 bits per byte, most
 * significant group first, high bit set on every byte but the last; `s` = signed, mapped to `v`
 * as 2x-1 for x > 0 and -2x otherwise; `vb` = `v` length followed by the bytes; `u(32)`/`u(64)`
 * big-endian.
 */
export class NutByteWriter {
  private readonly bytes: number[] = [];

  v(value: number | bigint): this {
    let x = BigInt(value);
    if (x < 0n) throw new RangeError(`NUT v field cannot be negative: ${x}`);
    const groups: number[] = [Number(x & 0x7fn)];
    x >>= 7n;
    while (x > 0n) {
      groups.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    for (let i = groups.length - 1; i >= 0; i--) this.bytes.push(groups[i]!);
    return this;
  }

  s(value: number): this {
    return this.v(value > 0 ? 2 * value - 1 : -2 * value);
  }

  vb(data: Uint8Array): this {
    this.v(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  u32(value: number): this {
    this.bytes.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
    return this;
  }

  u64(value: bigint): this {
    for (let shift = 56n; shift >= 0n; shift -= 8n) this.bytes.push(Number((value >> shift) & 0xffn));
    return this;
  }

  raw(data: Uint8Array): this {
    for (const b of data) this.bytes.push(b);
    return this;
  }

  get length(): number {
    return this.bytes.length;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}
