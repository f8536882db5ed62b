/** V4L2 constants the agent uses, from include/uapi/linux/videodev2.h. */

export const V4L2_BUF_TYPE_VIDEO_CAPTURE = 1;
export const V4L2_MEMORY_MMAP = 1;
export const V4L2_FIELD_ANY = 0;
export const V4L2_BUF_FLAG_ERROR = 0x40;


export const V4L2_IN_CAP_DV_TIMINGS = 0x2;
export const V4L2_EVENT_SOURCE_CHANGE = 5;

/** `v4l2_fourcc(a, b, c, d)`: four ASCII characters, little-endian. */
export function fourcc(code: string): number {
  if (!/^[\x20-\x7e]{4}$/.test(code)) throw new RangeError(`a fourcc is 4 printable characters, not ${JSON.stringify(code)}`);
  return Buffer.from(code, 'latin1').readUInt32LE(0);
}

export function fourccName(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b.toString('latin1');
}
