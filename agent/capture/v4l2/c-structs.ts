/**
 * The C declarations of every structure the agent passes to the kernel, as data: members in order
 * with their C types, copied from include/uapi/linux/videodev2.h (and <poll.h>, <sys/time.h>,
 * <time.h>). `field` marks what the agent reads or writes; `member` only takes space. Offsets and
 * sizes are never written here: c-layout.ts computes them per data model (abi.ts).
 *
 * Union alternatives the agent never uses are listed when they decide the union's size or alignment
 * (`v4l2_window` holds pointers, `v4l2_event_ctrl` an __s64) and left out when they cannot (the
 * other `fmt` and `u` alternatives are no larger than `raw_data`/`data` and hold only ≤ 32-bit
 * members).
 */
import { type CAggregate, array, field, member, packedStruct, struct, union } from './c-layout';

/** `struct timeval` (<sys/time.h>): with 64-bit time, `suseconds_t` is 64-bit too. */
const timeval = struct(field('tv_sec', 'time_t'), field('tv_usec', 'suseconds_t'));

/**
 * `struct timespec` (<time.h>): `long tv_nsec`, so with 64-bit time on ILP32 it is 4 bytes followed
 * by 4 bytes of padding (glibc's `int :32`; the kernel's `__kernel_timespec` has a 64-bit tv_nsec:
 * little-endian, the same bytes).
 */
const timespec = struct(field('tv_sec', 'time_t'), field('tv_nsec', 'long'));

const v4l2_fract = struct(field('numerator', '__u32'), field('denominator', '__u32'));

const v4l2_rect = struct(member('left', '__s32'), member('top', '__s32'), member('width', '__u32'), member('height', '__u32'));

/** Packed in the header (`__attribute__((packed))`): pixelclock is a __u64 at offset 16. */
const v4l2_bt_timings = packedStruct(
  ...['width', 'height', 'interlaced', 'polarities'].map((n) => field(n, '__u32')),
  field('pixelclock', '__u64'),
  ...['hfrontporch', 'hsync', 'hbackporch', 'vfrontporch', 'vsync', 'vbackporch'].map((n) => field(n, '__u32')),
  ...['il_vfrontporch', 'il_vsync', 'il_vbackporch', 'standards', 'flags'].map((n) => field(n, '__u32')),
  member('picture_aspect', v4l2_fract),
  field('cea861_vic', '__u8'),
  field('hdmi_vic', '__u8'),
  member('reserved', array('__u8', 46)),
);

const v4l2_pix_format = struct(
  ...['width', 'height', 'pixelformat', 'field', 'bytesperline', 'sizeimage', 'colorspace'].map((n) => field(n, '__u32')),
  ...['priv', 'flags', 'ycbcr_enc', 'quantization', 'xfer_func'].map((n) => member(n, '__u32')),
);

/** Only here for its pointers, which make the `fmt` union pointer-aligned. */
const v4l2_window = struct(
  member('w', v4l2_rect),
  member('field', '__u32'),
  member('chromakey', '__u32'),
  member('clips', 'pointer'),
  member('clipcount', '__u32'),
  member('bitmap', 'pointer'),
  member('global_alpha', '__u8'),
);

const v4l2_timecode = struct(
  field('type', '__u32'),
  field('flags', '__u32'),
  ...['frames', 'seconds', 'minutes', 'hours'].map((n) => field(n, '__u8')),
  member('userbits', array('__u8', 4)),
);

/** Only here for its __s64, which makes the event union 8-aligned. */
const v4l2_event_ctrl = struct(
  member('changes', '__u32'),
  member('type', '__u32'),
  member(null, union(member('value', '__s32'), member('value64', '__s64'))),
  ...['flags', 'minimum', 'maximum', 'step', 'default_value'].map((n) => member(n, '__s32')),
);

export const V4L2_STRUCTS = {
  v4l2_capability: struct(
    field('driver', array('__u8', 16)),
    field('card', array('__u8', 32)),
    field('bus_info', array('__u8', 32)),
    field('version', '__u32'),
    field('capabilities', '__u32'),
    field('device_caps', '__u32'),
    member('reserved', array('__u32', 3)),
  ),
  v4l2_input: struct(
    field('index', '__u32'),
    field('name', array('__u8', 32)),
    ...['type', 'audioset', 'tuner'].map((n) => field(n, '__u32')),
    field('std', '__u64'), // v4l2_std_id
    field('status', '__u32'),
    field('capabilities', '__u32'),
    member('reserved', array('__u32', 3)),
  ),
  v4l2_edid: struct(
    ...['pad', 'start_block', 'blocks'].map((n) => field(n, '__u32')),
    member('reserved', array('__u32', 5)),
    field('edid', 'pointer'),
  ),
  v4l2_dv_timings: packedStruct(
    field('type', '__u32'),
    member(null, union(field('bt', v4l2_bt_timings), member('reserved', array('__u32', 32)))),
  ),
  v4l2_format: struct(
    field('type', '__u32'),
    field(
      'fmt',
      union(field('pix', v4l2_pix_format), member('win', v4l2_window), member('raw_data', array('__u8', 200))),
    ),
  ),
  v4l2_requestbuffers: struct(
    ...['count', 'type', 'memory', 'capabilities'].map((n) => field(n, '__u32')),
    field('flags', '__u8'),
    member('reserved', array('__u8', 3)),
  ),
  v4l2_buffer: struct(
    ...['index', 'type', 'bytesused', 'flags', 'field'].map((n) => field(n, '__u32')),
    field('timestamp', timeval),
    field('timecode', v4l2_timecode),
    field('sequence', '__u32'),
    field('memory', '__u32'),
    field(
      'm',
      union(field('offset', '__u32'), field('userptr', 'unsigned long'), member('planes', 'pointer'), field('fd', '__s32')),
    ),
    field('length', '__u32'),
    member('reserved2', '__u32'),
    member(null, union(field('request_fd', '__s32'), member('reserved', '__u32'))),
  ),
  v4l2_event_subscription: struct(
    ...['type', 'id', 'flags'].map((n) => field(n, '__u32')),
    member('reserved', array('__u32', 5)),
  ),
  v4l2_event: struct(
    field('type', '__u32'),
    field(
      'u',
      union(
        member('ctrl', v4l2_event_ctrl),
        member('src_change', struct(field('changes', '__u32'))),
        member('data', array('__u8', 64)),
      ),
    ),
    field('pending', '__u32'),
    field('sequence', '__u32'),
    field('timestamp', timespec),
    field('id', '__u32'),
    member('reserved', array('__u32', 8)),
  ),
  v4l2_control: struct(field('id', '__u32'), field('value', '__s32')),
  pollfd: struct(field('fd', 'int'), field('events', 'short'), field('revents', 'short')),
} as const satisfies Record<string, CAggregate>;

/** Every structure the agent passes to the kernel, by its C name. */
export type StructName = keyof typeof V4L2_STRUCTS;
