/**
 * V4L2 ioctl request numbers, computed like the kernel's `_IOC(dir, 'V', nr, size)` macro
 * (include/uapi/asm-generic/ioctl.h: nr bits 0–7, type bits 8–15, size bits 16–29, direction bits
 * 30–31; x86, arm and arm64 all use the generic encoding). The size is the struct size of the
 * selected ABI, so requests carrying `v4l2_buffer`, `v4l2_event`, `v4l2_format` or `v4l2_edid`
 * get different numbers on armv7h than on x86_64/aarch64. Checked against the C headers by
 * test/unit/capture/abi.
 */
import type { Abi, StructName } from './abi';

const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;
const IOC_SIZEMASK = (1 << 14) - 1;

function ioc(dir: number, type: number, nr: number, size: number): number {
  if (size > IOC_SIZEMASK) throw new RangeError(`ioctl argument size ${size} does not fit in 14 bits`);
  // `>>> 0` keeps the result an unsigned 32-bit number (direction bit 31 is set for _IOR/_IOWR).
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

export type IoctlName =
  | 'VIDIOC_QUERYCAP'
  | 'VIDIOC_G_FMT'
  | 'VIDIOC_S_FMT'
  | 'VIDIOC_REQBUFS'
  | 'VIDIOC_QUERYBUF'
  | 'VIDIOC_QBUF'
  | 'VIDIOC_DQBUF'
  | 'VIDIOC_STREAMON'
  | 'VIDIOC_STREAMOFF'
  | 'VIDIOC_ENUMINPUT'
  | 'VIDIOC_G_CTRL'
  | 'VIDIOC_S_CTRL'
  | 'VIDIOC_G_INPUT'
  | 'VIDIOC_S_INPUT'
  | 'VIDIOC_G_EDID'
  | 'VIDIOC_S_EDID'
  | 'VIDIOC_S_DV_TIMINGS'
  | 'VIDIOC_G_DV_TIMINGS'
  | 'VIDIOC_DQEVENT'
  | 'VIDIOC_SUBSCRIBE_EVENT'
  | 'VIDIOC_UNSUBSCRIBE_EVENT'
  | 'VIDIOC_QUERY_DV_TIMINGS';

type Direction = 'R' | 'W' | 'WR' | 'NONE';

/** The argument of an ioctl: one of our structs, or a plain C `int` (4 bytes on every ABI). */
interface IoctlSpec {
  dir: Direction;
  nr: number;
  arg: StructName | 'int';
}

/** From include/uapi/linux/videodev2.h (`#define VIDIOC_… _IO…('V', nr, type)`). */
const IOCTL_SPECS: Readonly<Record<IoctlName, IoctlSpec>> = {
  VIDIOC_QUERYCAP: { dir: 'R', nr: 0, arg: 'v4l2_capability' },
  VIDIOC_G_FMT: { dir: 'WR', nr: 4, arg: 'v4l2_format' },
  VIDIOC_S_FMT: { dir: 'WR', nr: 5, arg: 'v4l2_format' },
  VIDIOC_REQBUFS: { dir: 'WR', nr: 8, arg: 'v4l2_requestbuffers' },
  VIDIOC_QUERYBUF: { dir: 'WR', nr: 9, arg: 'v4l2_buffer' },
  VIDIOC_QBUF: { dir: 'WR', nr: 15, arg: 'v4l2_buffer' },
  VIDIOC_DQBUF: { dir: 'WR', nr: 17, arg: 'v4l2_buffer' },
  VIDIOC_STREAMON: { dir: 'W', nr: 18, arg: 'int' },
  VIDIOC_STREAMOFF: { dir: 'W', nr: 19, arg: 'int' },
  VIDIOC_ENUMINPUT: { dir: 'WR', nr: 26, arg: 'v4l2_input' },
  VIDIOC_G_CTRL: { dir: 'WR', nr: 27, arg: 'v4l2_control' },
  VIDIOC_S_CTRL: { dir: 'WR', nr: 28, arg: 'v4l2_control' },
  VIDIOC_G_INPUT: { dir: 'R', nr: 38, arg: 'int' },
  VIDIOC_S_INPUT: { dir: 'WR', nr: 39, arg: 'int' },
  VIDIOC_G_EDID: { dir: 'WR', nr: 40, arg: 'v4l2_edid' },
  VIDIOC_S_EDID: { dir: 'WR', nr: 41, arg: 'v4l2_edid' },
  VIDIOC_S_DV_TIMINGS: { dir: 'WR', nr: 87, arg: 'v4l2_dv_timings' },
  VIDIOC_G_DV_TIMINGS: { dir: 'WR', nr: 88, arg: 'v4l2_dv_timings' },
  VIDIOC_DQEVENT: { dir: 'R', nr: 89, arg: 'v4l2_event' },
  VIDIOC_SUBSCRIBE_EVENT: { dir: 'W', nr: 90, arg: 'v4l2_event_subscription' },
  VIDIOC_UNSUBSCRIBE_EVENT: { dir: 'W', nr: 91, arg: 'v4l2_event_subscription' },
  VIDIOC_QUERY_DV_TIMINGS: { dir: 'R', nr: 99, arg: 'v4l2_dv_timings' },
};

const DIR_BITS: Record<Direction, number> = { NONE: IOC_NONE, R: IOC_READ, W: IOC_WRITE, WR: IOC_READ | IOC_WRITE };
const V = 'V'.charCodeAt(0);

export type IoctlTable = Readonly<Record<IoctlName, number>>;

/** Every request number for one ABI. */
export function ioctlNumbers(abi: Abi): IoctlTable {
  const entries = Object.entries(IOCTL_SPECS).map(([name, spec]) => {
    const size = spec.arg === 'int' ? 4 : abi.structs[spec.arg].size;
    return [name, ioc(DIR_BITS[spec.dir], V, spec.nr, size)];
  });
  return Object.freeze(Object.fromEntries(entries)) as IoctlTable;
}
