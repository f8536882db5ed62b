/**
 * Text exactly as v4l2-ctl (v4l-utils 1.22 – 1.28) prints it for the calls os-autoinst makes, so
 * that `pikvm-agent v4l2-ctl` is indistinguishable from the real tool on stdout and in its exit code.
 *
 * Sources (v4l-utils, utils/v4l2-ctl/ and utils/common/):
 * - `print_dv_timings()` in v4l2-ctl-stds.cpp, with `--concise`:
 *   `printf("\t%ux%u%c%.2f %s\n", width, height, 'i'|'p', pixelclock / (totw * (toth / (il ? 2 : 1))), dvflags2s(vsync, flags))`
 *   — note the space before the (usually empty) flags string, and 0/0 = NaN for zeroed timings.
 * - `dvflags2s()` in v4l2-info.cpp: the flag names, in that order, joined with ", ".
 * - `doioctl_name()` in v4l2-ctl.cpp: a failed ioctl prints `"<IOCTL>: failed: <strerror>\n"` on
 *   **stdout** and sets `app_result = -1`; `main()` ends with `exit(app_result)`, i.e. status 255.
 */
import type { BtTimings } from '../capture/timings';

/** Exit status of v4l2-ctl after any failed ioctl (`exit(-1)`). */
export const V4L2CTL_IOCTL_FAILED = 255;
/** Exit status of v4l2-ctl when it cannot open the device or a file (`EXIT_FAILURE`). */
export const V4L2CTL_EXIT_FAILURE = 1;

/** `V4L2_DV_FL_*` (include/uapi/linux/videodev2.h). */
const DV_FL = {
  REDUCED_BLANKING: 1 << 0,
  CAN_REDUCE_FPS: 1 << 1,
  REDUCED_FPS: 1 << 2,
  HALF_LINE: 1 << 3,
  IS_CE_VIDEO: 1 << 4,
  FIRST_FIELD_EXTRA_LINE: 1 << 5,
  HAS_PICTURE_ASPECT: 1 << 6,
  HAS_CEA861_VIC: 1 << 7,
  HAS_HDMI_VIC: 1 << 8,
  CAN_DETECT_REDUCED_FPS: 1 << 9,
} as const;

/** `dvflags2s(vsync, flags)`: note the print order differs from the bit order. */
export function dvFlagsText(vsync: number, flags: number): string {
  const names: string[] = [];
  if (flags & DV_FL.REDUCED_BLANKING) names.push(vsync === 8 ? 'reduced blanking v2' : 'reduced blanking');
  if (flags & DV_FL.CAN_REDUCE_FPS) names.push('framerate can be reduced by 1/1.001');
  if (flags & DV_FL.REDUCED_FPS) names.push('framerate is reduced by 1/1.001');
  if (flags & DV_FL.CAN_DETECT_REDUCED_FPS) names.push('can detect reduced framerates');
  if (flags & DV_FL.HALF_LINE) names.push('half-line');
  if (flags & DV_FL.IS_CE_VIDEO) names.push('CE-video');
  if (flags & DV_FL.FIRST_FIELD_EXTRA_LINE) names.push('first field has extra line');
  if (flags & DV_FL.HAS_PICTURE_ASPECT) names.push('has picture aspect');
  if (flags & DV_FL.HAS_CEA861_VIC) names.push('has CTA-861 VIC');
  if (flags & DV_FL.HAS_HDMI_VIC) names.push('has HDMI VIC');
  return names.join(', ');
}

/**
 * How glibc's printf spells the NaN of 0.0/0.0. The CPU decides its sign: x86 SSE produces the
 * "default NaN" with the sign bit set (printed `-nan`), ARM VFP/NEON and AArch64 a positive one
 * (`nan` — the PiKVM, and the `0x0pnan` os-autoinst's generalhw.pm looks for).
 */
export function nanTextFor(arch: string = process.arch): string {
  return arch === 'x64' || arch === 'ia32' ? '-nan' : 'nan';
}

/**
 * printf `%.2f`: like `toFixed(2)` except on exact binary ties (x.125, x.375, …), where glibc rounds
 * half to even and JavaScript rounds up.
 */
export function printfFixed2(x: number, arch: string = process.arch): string {
  if (Number.isNaN(x)) return nanTextFor(arch);
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const eighths = x * 8; // exact: scaling by a power of two
  if (Number.isInteger(eighths) && Math.abs(eighths) % 2 === 1) {
    const floor = Math.floor(x * 100); // x*100 is k + 0.5 exactly here
    const even = floor % 2 === 0 ? floor : floor + 1;
    const sign = even < 0 || (even === 0 && x < 0) ? '-' : '';
    const abs = Math.abs(even);
    return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  }
  return x.toFixed(2);
}

/** Timings with every field zero: what v4l2-ctl prints after a failed query (its struct stays zeroed). */
export { ZERO_TIMINGS } from '../capture/timings';

/** One `--concise` timings line, newline included (`\t1024x768p60.00 \n`). */
export function formatConciseTimings(t: BtTimings, arch: string = process.arch): string {
  const totWidth = t.width + t.hfrontporch + t.hsync + t.hbackporch;
  const totHeight = t.height + t.vfrontporch + t.vsync + t.vbackporch + t.ilVfrontporch + t.ilVsync + t.ilVbackporch;
  const rate = t.pixelclock / (totWidth * (totHeight / (t.interlaced ? 2 : 1)));
  const u32 = (n: number) => String(n >>> 0);
  return `\t${u32(t.width)}x${u32(t.height)}${t.interlaced ? 'i' : 'p'}${printfFixed2(rate, arch)} ${dvFlagsText(t.vsync, t.flags)}\n`;
}

/** `--concise --get-dv-timings` after a successful VIDIOC_G_DV_TIMINGS. */
export function formatGetDvTimings(t: BtTimings, arch: string = process.arch): string {
  return `DV timings:\n${formatConciseTimings(t, arch)}`;
}

/** glibc `strerror()` of the errno values the video calls can fail with. */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOTTY: 'Inappropriate ioctl for device',
  ERANGE: 'Numerical result out of range',
  ENOLCK: 'No locks available',
  ENODATA: 'No data available',
  ENOLINK: 'Link has been severed',
  EOPNOTSUPP: 'Operation not supported',
  ETIMEDOUT: 'Connection timed out',
};

export function strerror(errno: string): string {
  return STRERROR[errno] ?? `Unknown error ${errno}`;
}

export function isKnownErrno(name: string): boolean {
  return name in STRERROR;
}

/** `doioctl_name()`'s failure line (stdout). */
export function ioctlFailedLine(ioctl: string, errno: string): string {
  return `${ioctl}: failed: ${strerror(errno)}\n`;
}
