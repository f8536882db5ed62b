/**
 * The NUT checksum: CRC-32 with generator polynomial 0x04C11DB7, MSB first (not reflected),
 * initial value 0, no final XOR — ffmpeg's `ff_crc04C11DB7_update` (libavformat/nutdec.c and
 * nutenc.c; ffmpeg doc/nut.texi points at the NUT specification for the bitstream). A property
 * that follows: the CRC of `data ‖ crc(data) as big-endian u32` is 0, which is how ffmpeg checks.
 */
const TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  TABLE[i] = c >>> 0;
}

export function crc32Nut(data: Uint8Array, initial = 0): number {
  let crc = initial >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]!) & 0xff]!) >>> 0;
  }
  return crc;
}
