/**
 * The memory layout of every V4L2 structure the agent passes to the kernel, as data, one table per
 * ABI. Nothing here is computed from C at run time: the tables are checked against the real
 * `<linux/videodev2.h>` by test/unit/video/abi (it generates `_Static_assert(offsetof/sizeof …)`
 * and compiles them with gcc, aarch64-linux-gnu-gcc and arm-linux-gnueabihf-gcc).
 *
 * Field names are C member designators (`timestamp.tv_sec`, `bt.width`, `fmt.pix.width`), so the
 * proof can use them verbatim in `offsetof`.
 *
 * Two layouts exist:
 * - `lp64` (x86_64, aarch64): `long` and pointers are 8 bytes, `__u64` is 8-aligned.
 * - `ilp32-time64` (armv7h): pointers 4 bytes, `__u64` 8-aligned (ARM EAABI), and **64-bit
 *   time_t** in `struct timeval`/`struct timespec`. This is the kernel's own layout on a 32-bit
 *   kernel (`struct __kernel_v4l2_timeval` / `__kernel_timespec` in include/uapi/linux/videodev2.h,
 *   used when `__KERNEL__`), i.e. the plain VIDIOC_QBUF/DQBUF/QUERYBUF/DQEVENT, so no compat
 *   translation is involved. It equals what glibc gives with `-D_TIME_BITS=64`. Arch Linux ARM's
 *   own userspace still builds with 32-bit time_t, so its v4l2-ctl/ustreamer call the `*_TIME32`
 *   variants (68-byte `v4l2_buffer`, 128-byte `v4l2_event`; drivers/media/v4l2-core/v4l2-ioctl.c
 *   `video_translate_cmd`, only with CONFIG_COMPAT_32BIT_TIME; and on a 64-bit kernel
 *   v4l2-compat-ioctl32.c `VIDIOC_QBUF32_TIME32`). We do not share structs with C code, so we pick
 *   the layout the kernel accepts natively on 32-bit kernels and through `VIDIOC_QBUF32` on 64-bit
 *   kernels running 32-bit userspace (kernel ≥ 5.6, the y2038 work).
 */
import { AgentError } from '../../errors';

/** How a field is read from / written to the struct's Buffer (little-endian on all our ABIs). */
export type FieldType = 'u8' | 's16' | 'u16' | 'u32' | 's32' | 'u64' | 's64' | 'ptr' | 'bytes';

export interface FieldLayout {
  offset: number;
  type: FieldType;
  /** Byte length; required for `bytes` (char arrays), implied for the others. */
  length?: number;
}

export interface StructLayout {
  size: number;
  fields: Readonly<Record<string, FieldLayout>>;
}

export type StructName =
  | 'v4l2_capability'
  | 'v4l2_input'
  | 'v4l2_edid'
  | 'v4l2_dv_timings'
  | 'v4l2_format'
  | 'v4l2_requestbuffers'
  | 'v4l2_buffer'
  | 'v4l2_event_subscription'
  | 'v4l2_event'
  | 'v4l2_control'
  | 'pollfd';

export type AbiName = 'lp64' | 'ilp32-time64';

export interface Abi {
  name: AbiName;
  /** Size of a pointer / `unsigned long`. */
  pointerSize: 4 | 8;
  structs: Readonly<Record<StructName, StructLayout>>;
}

const f = (offset: number, type: FieldType, length?: number): FieldLayout =>
  length === undefined ? { offset, type } : { offset, type, length };

/** Structures whose layout does not depend on pointer size or time_t (only __u32/__u8/__u64). */
const COMMON = {
  v4l2_capability: {
    size: 104,
    fields: {
      driver: f(0, 'bytes', 16),
      card: f(16, 'bytes', 32),
      bus_info: f(48, 'bytes', 32),
      version: f(80, 'u32'),
      capabilities: f(84, 'u32'),
      device_caps: f(88, 'u32'),
    },
  },
  // `std` is a __u64 (v4l2_std_id): 8-aligned on both ABIs, hence 4 bytes of tail padding.
  v4l2_input: {
    size: 80,
    fields: {
      index: f(0, 'u32'),
      name: f(4, 'bytes', 32),
      type: f(36, 'u32'),
      audioset: f(40, 'u32'),
      tuner: f(44, 'u32'),
      std: f(48, 'u64'),
      status: f(56, 'u32'),
      capabilities: f(60, 'u32'),
    },
  },
  // Packed in the header (`__attribute__((packed))`): pixelclock is a __u64 at offset 16 and the
  // union with `reserved[32]` makes the whole struct 4 + 128 bytes on every ABI.
  v4l2_dv_timings: {
    size: 132,
    fields: {
      type: f(0, 'u32'),
      bt: f(4, 'bytes', 124), // struct v4l2_bt_timings, packed
      'bt.width': f(4, 'u32'),
      'bt.height': f(8, 'u32'),
      'bt.interlaced': f(12, 'u32'),
      'bt.polarities': f(16, 'u32'),
      'bt.pixelclock': f(20, 'u64'),
      'bt.hfrontporch': f(28, 'u32'),
      'bt.hsync': f(32, 'u32'),
      'bt.hbackporch': f(36, 'u32'),
      'bt.vfrontporch': f(40, 'u32'),
      'bt.vsync': f(44, 'u32'),
      'bt.vbackporch': f(48, 'u32'),
      'bt.il_vfrontporch': f(52, 'u32'),
      'bt.il_vsync': f(56, 'u32'),
      'bt.il_vbackporch': f(60, 'u32'),
      'bt.standards': f(64, 'u32'),
      'bt.flags': f(68, 'u32'),
      'bt.picture_aspect.numerator': f(72, 'u32'),
      'bt.picture_aspect.denominator': f(76, 'u32'),
      'bt.cea861_vic': f(80, 'u8'),
      'bt.hdmi_vic': f(81, 'u8'),
    },
  },
  v4l2_requestbuffers: {
    size: 20,
    fields: {
      count: f(0, 'u32'),
      type: f(4, 'u32'),
      memory: f(8, 'u32'),
      capabilities: f(12, 'u32'),
      flags: f(16, 'u8'),
    },
  },
  v4l2_event_subscription: {
    size: 32,
    fields: { type: f(0, 'u32'), id: f(4, 'u32'), flags: f(8, 'u32') },
  },
  v4l2_control: { size: 8, fields: { id: f(0, 'u32'), value: f(4, 's32') } },
  pollfd: { size: 8, fields: { fd: f(0, 's32'), events: f(4, 's16'), revents: f(6, 's16') } },
} as const satisfies Record<string, StructLayout>;

/** `struct v4l2_pix_format` fields inside `v4l2_format.fmt`, relative to `fmt`. */
function pixFormatAt(base: number): Record<string, FieldLayout> {
  const names = ['width', 'height', 'pixelformat', 'field', 'bytesperline', 'sizeimage', 'colorspace'];
  return Object.fromEntries(names.map((n, i) => [`fmt.pix.${n}`, f(base + 4 * i, 'u32')]));
}

const LP64: Abi = {
  name: 'lp64',
  pointerSize: 8,
  structs: {
    ...COMMON,
    v4l2_edid: {
      size: 40,
      fields: { pad: f(0, 'u32'), start_block: f(4, 'u32'), blocks: f(8, 'u32'), edid: f(32, 'ptr') },
    },
    // The `fmt` union holds `struct v4l2_window` (pointers), so it is 8-aligned here.
    v4l2_format: {
      size: 208,
      fields: { type: f(0, 'u32'), fmt: f(8, 'bytes', 200), 'fmt.pix': f(8, 'bytes', 48), ...pixFormatAt(8) },
    },
    v4l2_buffer: {
      size: 88,
      fields: {
        index: f(0, 'u32'),
        type: f(4, 'u32'),
        bytesused: f(8, 'u32'),
        flags: f(12, 'u32'),
        field: f(16, 'u32'),
        timestamp: f(24, 'bytes', 16),
        'timestamp.tv_sec': f(24, 's64'),
        'timestamp.tv_usec': f(32, 's64'),
        timecode: f(40, 'bytes', 16),
        'timecode.type': f(40, 'u32'),
        'timecode.flags': f(44, 'u32'),
        'timecode.frames': f(48, 'u8'),
        'timecode.seconds': f(49, 'u8'),
        'timecode.minutes': f(50, 'u8'),
        'timecode.hours': f(51, 'u8'),
        sequence: f(56, 'u32'),
        memory: f(60, 'u32'),
        m: f(64, 'bytes', 8),
        'm.offset': f(64, 'u32'),
        'm.userptr': f(64, 'ptr'),
        'm.fd': f(64, 's32'),
        length: f(72, 'u32'),
        request_fd: f(80, 's32'),
      },
    },
    // The `u` union holds `struct v4l2_event_ctrl` with an __s64, so it starts at 8.
    v4l2_event: {
      size: 136,
      fields: {
        type: f(0, 'u32'),
        u: f(8, 'bytes', 64),
        'u.src_change.changes': f(8, 'u32'),
        pending: f(72, 'u32'),
        sequence: f(76, 'u32'),
        timestamp: f(80, 'bytes', 16),
        'timestamp.tv_sec': f(80, 's64'),
        'timestamp.tv_nsec': f(88, 's64'),
        id: f(96, 'u32'),
      },
    },
  },
};

const ILP32_TIME64: Abi = {
  name: 'ilp32-time64',
  pointerSize: 4,
  structs: {
    ...COMMON,
    v4l2_edid: {
      size: 36,
      fields: { pad: f(0, 'u32'), start_block: f(4, 'u32'), blocks: f(8, 'u32'), edid: f(32, 'ptr') },
    },
    v4l2_format: {
      size: 204,
      fields: { type: f(0, 'u32'), fmt: f(4, 'bytes', 200), 'fmt.pix': f(4, 'bytes', 48), ...pixFormatAt(4) },
    },
    v4l2_buffer: {
      size: 80,
      fields: {
        index: f(0, 'u32'),
        type: f(4, 'u32'),
        bytesused: f(8, 'u32'),
        flags: f(12, 'u32'),
        field: f(16, 'u32'),
        timestamp: f(24, 'bytes', 16),
        'timestamp.tv_sec': f(24, 's64'),
        'timestamp.tv_usec': f(32, 's64'),
        timecode: f(40, 'bytes', 16),
        'timecode.type': f(40, 'u32'),
        'timecode.flags': f(44, 'u32'),
        'timecode.frames': f(48, 'u8'),
        'timecode.seconds': f(49, 'u8'),
        'timecode.minutes': f(50, 'u8'),
        'timecode.hours': f(51, 'u8'),
        sequence: f(56, 'u32'),
        memory: f(60, 'u32'),
        m: f(64, 'bytes', 4),
        'm.offset': f(64, 'u32'),
        'm.userptr': f(64, 'ptr'),
        'm.fd': f(64, 's32'),
        length: f(68, 'u32'),
        request_fd: f(76, 's32'),
      },
    },
    // glibc's 64-bit `struct timespec` on 32-bit: __time64_t tv_sec, then a 32-bit tv_nsec and 32
    // bits of padding (the kernel's __kernel_timespec has a 64-bit tv_nsec; little-endian, same bytes).
    v4l2_event: {
      size: 136,
      fields: {
        type: f(0, 'u32'),
        u: f(8, 'bytes', 64),
        'u.src_change.changes': f(8, 'u32'),
        pending: f(72, 'u32'),
        sequence: f(76, 'u32'),
        timestamp: f(80, 'bytes', 16),
        'timestamp.tv_sec': f(80, 's64'),
        'timestamp.tv_nsec': f(88, 's32'),
        id: f(96, 'u32'),
      },
    },
  },
};

export const ABIS: Readonly<Record<AbiName, Abi>> = Object.freeze({ lp64: LP64, 'ilp32-time64': ILP32_TIME64 });

/** Node's `process.arch` → our ABI. PiKVM OS is armv7h (`arm`) or aarch64 (`arm64`). */
const ARCH_ABI: Readonly<Record<string, AbiName>> = { x64: 'lp64', arm64: 'lp64', arm: 'ilp32-time64' };

export function abiForArch(arch: string = process.arch): Abi {
  const name = ARCH_ABI[arch];
  if (name === undefined) {
    throw new AgentError(
      'not-supported',
      `V4L2 struct layouts are known for x64, arm64 and arm only, not for process.arch=${arch}`,
    );
  }
  return ABIS[name];
}

/** The byte length a field occupies. */
export function fieldLength(field: FieldLayout, abi: Abi): number {
  switch (field.type) {
    case 'u8':
      return 1;
    case 's16':
    case 'u16':
      return 2;
    case 'u32':
    case 's32':
      return 4;
    case 'u64':
    case 's64':
      return 8;
    case 'ptr':
      return abi.pointerSize;
    case 'bytes':
      return field.length ?? 0;
  }
}
