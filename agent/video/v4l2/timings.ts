/**
 * BT.656/1120 DV timings (`struct v4l2_bt_timings`) as a plain object, and back. The refresh rate
 * is computed the way v4l2-ctl prints it (utils/v4l2-ctl/v4l2-ctl-stds.cpp: pixelclock / (total width
 * × total height), fields per second for interlaced modes).
 */
import type { Abi } from './abi';
import { StructBuffer } from './struct-buffer';

/** `V4L2_DV_BT_656_1120`, the only timing type defined. */
export const V4L2_DV_BT_656_1120 = 0;
const V4L2_DV_VSYNC_POS_POL = 0x1;
const V4L2_DV_HSYNC_POS_POL = 0x2;

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
export function totalSize(t: BtTimings): { width: number; height: number } {
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

/** Fills a `v4l2_dv_timings` struct. */
export function encodeDvTimings(abi: Abi, t: BtTimings): StructBuffer {
  const s = new StructBuffer(abi, 'v4l2_dv_timings');
  s.set('type', V4L2_DV_BT_656_1120)
    .set('bt.width', t.width)
    .set('bt.height', t.height)
    .set('bt.interlaced', t.interlaced ? 1 : 0)
    .set('bt.polarities', (t.vsyncPositive ? V4L2_DV_VSYNC_POS_POL : 0) | (t.hsyncPositive ? V4L2_DV_HSYNC_POS_POL : 0))
    .set('bt.pixelclock', BigInt(t.pixelclock))
    .set('bt.hfrontporch', t.hfrontporch)
    .set('bt.hsync', t.hsync)
    .set('bt.hbackporch', t.hbackporch)
    .set('bt.vfrontporch', t.vfrontporch)
    .set('bt.vsync', t.vsync)
    .set('bt.vbackporch', t.vbackporch)
    .set('bt.il_vfrontporch', t.ilVfrontporch)
    .set('bt.il_vsync', t.ilVsync)
    .set('bt.il_vbackporch', t.ilVbackporch)
    .set('bt.standards', t.standards)
    .set('bt.flags', t.flags);
  return s;
}

/** Reads a `v4l2_dv_timings` struct filled by the driver. */
export function decodeDvTimings(s: StructBuffer): BtTimings {
  const polarities = s.get('bt.polarities');
  return {
    width: s.get('bt.width'),
    height: s.get('bt.height'),
    interlaced: s.get('bt.interlaced') === 1,
    hsyncPositive: (polarities & V4L2_DV_HSYNC_POS_POL) !== 0,
    vsyncPositive: (polarities & V4L2_DV_VSYNC_POS_POL) !== 0,
    pixelclock: s.get('bt.pixelclock'),
    hfrontporch: s.get('bt.hfrontporch'),
    hsync: s.get('bt.hsync'),
    hbackporch: s.get('bt.hbackporch'),
    vfrontporch: s.get('bt.vfrontporch'),
    vsync: s.get('bt.vsync'),
    vbackporch: s.get('bt.vbackporch'),
    ilVfrontporch: s.get('bt.il_vfrontporch'),
    ilVsync: s.get('bt.il_vsync'),
    ilVbackporch: s.get('bt.il_vbackporch'),
    standards: s.get('bt.standards'),
    flags: s.get('bt.flags'),
  };
}

/** VESA DMT 1024×768@60 (65 MHz, both syncs negative): the mode openQA's needles are made for. */
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
