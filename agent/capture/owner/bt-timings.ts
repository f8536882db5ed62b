/**
 * DV timings (`BtTimings`, what VIDIOC_*_DV_TIMINGS carry) for a mode, the way a source picks
 * them: the VESA DMT timing when the standard has one for W×H@Hz, CVT otherwise; or exactly an
 * EDID's detailed timing.
 */
import { cvtTiming, findDmt, type VideoTiming } from '../../edid';
import type { BtTimings } from '../capture-device';

/** `V4L2_DV_BT_STD_*` (include/uapi/linux/videodev2.h). */
const STD_DMT = 1 << 1;
const STD_CVT = 1 << 2;

export function btTimingsOf(t: VideoTiming, standards = 0): BtTimings {
  return {
    width: t.hActive,
    height: t.vActive,
    interlaced: t.interlaced,
    hsyncPositive: t.hSyncPositive,
    vsyncPositive: t.vSyncPositive,
    pixelclock: t.pixelClockHz,
    hfrontporch: t.hFrontPorch,
    hsync: t.hSync,
    hbackporch: t.hBackPorch,
    vfrontporch: t.vFrontPorch,
    vsync: t.vSync,
    vbackporch: t.vBackPorch,
    ilVfrontporch: 0,
    ilVsync: 0,
    ilVbackporch: 0,
    standards,
    flags: 0,
  };
}

export function timingsForMode(width: number, height: number, refreshHz = 60): BtTimings {
  const dmt = findDmt(width, height, refreshHz, false);
  if (dmt) return btTimingsOf(dmt.timing, STD_DMT);
  return btTimingsOf(cvtTiming(width, height, refreshHz, { reducedBlanking: false }), STD_CVT);
}
