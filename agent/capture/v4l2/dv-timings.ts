/**
 * `struct v4l2_dv_timings` (BT.656/1120 only, the one timing type defined) to and from BtTimings
 * (include/uapi/linux/videodev2.h).
 */
import type { BtTimings } from '../timings';
import type { Abi } from './abi';
import { StructBuffer } from './struct-buffer';

/** `V4L2_DV_BT_656_1120`, the only timing type defined. */
const V4L2_DV_BT_656_1120 = 0;
const V4L2_DV_VSYNC_POS_POL = 0x1;
const V4L2_DV_HSYNC_POS_POL = 0x2;

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
