/**
 * BT.656/1120 DV timings (what `struct v4l2_bt_timings` carries) as a plain object: the capture
 * device's vocabulary for a video mode, whatever implements it (V4L2, the fake, the simulator).
 * The refresh rate is computed the way v4l2-ctl prints it (utils/v4l2-ctl/v4l2-ctl-stds.cpp:
 * pixelclock / (total width × total height), fields per second for interlaced modes).
 */

export interface BtTimings {
  width: number;
  height: number;
  interlaced: boolean;
  hsyncPositive: boolean;
  vsyncPositive: boolean;
  /** Hz. */
  pixelclock: number;
  hfrontporch: number;
  hsync: number;
  hbackporch: number;
  vfrontporch: number;
  vsync: number;
  vbackporch: number;
  /** Second-field vertical blanking; 0 for progressive modes. */
  ilVfrontporch: number;
  ilVsync: number;
  ilVbackporch: number;
  /** `V4L2_DV_BT_STD_*` bits (CEA-861, DMT, CVT, GTF, SDI). */
  standards: number;
  /** `V4L2_DV_FL_*` bits. */
  flags: number;
}

/** Total pixels per line and lines per frame, blanking included. */
function totalSize(t: BtTimings): { width: number; height: number } {
  const width = t.width + t.hfrontporch + t.hsync + t.hbackporch;
  const height = t.height + t.vfrontporch + t.vsync + t.vbackporch + t.ilVfrontporch + t.ilVsync + t.ilVbackporch;
  return { width, height };
}

/** Frames (progressive) or fields (interlaced) per second, 0 when undefined. */
export function refreshRate(t: BtTimings): number {
  const total = totalSize(t);
  if (total.width === 0 || total.height === 0) return 0;
  const lines = t.interlaced ? total.height / 2 : total.height;
  return t.pixelclock / (total.width * lines);
}

/** Timings with every field zero (v4l2-ctl's zeroed struct; a size-only mode starts from it). */
export const ZERO_TIMINGS: Readonly<BtTimings> = Object.freeze({
  width: 0,
  height: 0,
  interlaced: false,
  hsyncPositive: false,
  vsyncPositive: false,
  pixelclock: 0,
  hfrontporch: 0,
  hsync: 0,
  hbackporch: 0,
  vfrontporch: 0,
  vsync: 0,
  vbackporch: 0,
  ilVfrontporch: 0,
  ilVsync: 0,
  ilVbackporch: 0,
  standards: 0,
  flags: 0,
});

/** VESA DMT 1024×768@60 (65 MHz, both syncs negative): the mode openQA's needles are made for. */
export const DMT_1024X768_60: Readonly<BtTimings> = Object.freeze({
  width: 1024,
  height: 768,
  interlaced: false,
  hsyncPositive: false,
  vsyncPositive: false,
  pixelclock: 65_000_000,
  hfrontporch: 24,
  hsync: 136,
  hbackporch: 160,
  vfrontporch: 3,
  vsync: 6,
  vbackporch: 29,
  ilVfrontporch: 0,
  ilVsync: 0,
  ilVbackporch: 0,
  standards: 0x2, // V4L2_DV_BT_STD_DMT
  flags: 0,
});
