/**
 * Standard timings from the VESA Display Monitor Timing standard (DMT, Version 1.0 Rev. 13,
 * 2013-02-08, section 4 "DMT Video Timing Parameter Definitions"). A source that finds one of
 * these modes in an EDID sends exactly these numbers, so we prefer them over a computed CVT timing.
 * The unit tests compare every row with Debian's `edid-decode --dmt <id>`.
 *
 * DMT lists 640x480@60 and @72 with 8-pixel/8-line borders; here the border is folded into the
 * porches (front 8+8, back 40+8 ...), which is how sources send it and how CTA-861 VIC 1 and every
 * EDID detailed timing for it are written.
 */
import type { VideoTiming } from './timing';

export interface DmtMode {
  /** DMT ID (the standard's hexadecimal mode number). */
  id: number;
  /** The refresh rate the standard names the mode by (60 for 59.94). */
  nominalHz: number;
  reducedBlanking: boolean;
  timing: VideoTiming;
}

type Row = [
  id: number,
  nominalHz: number,
  clockKhz: number,
  h: [active: number, front: number, sync: number, back: number, positive: boolean],
  v: [active: number, front: number, sync: number, back: number, positive: boolean],
  reducedBlanking?: boolean,
];

const P = true;
const N = false;

// prettier-ignore
const ROWS: Row[] = [
  [0x04, 60, 25175, [640, 16, 96, 48, N], [480, 10, 2, 33, N]],
  [0x05, 72, 31500, [640, 24, 40, 128, N], [480, 9, 3, 28, N]],
  [0x06, 75, 31500, [640, 16, 64, 120, N], [480, 1, 3, 16, N]],
  [0x08, 56, 36000, [800, 24, 72, 128, P], [600, 1, 2, 22, P]],
  [0x09, 60, 40000, [800, 40, 128, 88, P], [600, 1, 4, 23, P]],
  [0x0a, 72, 50000, [800, 56, 120, 64, P], [600, 37, 6, 23, P]],
  [0x0b, 75, 49500, [800, 16, 80, 160, P], [600, 1, 3, 21, P]],
  [0x10, 60, 65000, [1024, 24, 136, 160, N], [768, 3, 6, 29, N]],
  [0x11, 70, 75000, [1024, 24, 136, 144, N], [768, 3, 6, 29, N]],
  [0x12, 75, 78750, [1024, 16, 96, 176, P], [768, 1, 3, 28, P]],
  [0x1c, 60, 83500, [1280, 72, 128, 200, N], [800, 3, 6, 22, P]],
  [0x20, 60, 108000, [1280, 96, 112, 312, P], [960, 1, 3, 36, P]],
  [0x23, 60, 108000, [1280, 48, 112, 248, P], [1024, 1, 3, 38, P]],
  [0x24, 75, 135000, [1280, 16, 144, 248, P], [1024, 1, 3, 38, P]],
  [0x2f, 60, 106500, [1440, 80, 152, 232, N], [900, 3, 6, 25, P]],
  [0x33, 60, 162000, [1600, 64, 192, 304, P], [1200, 1, 3, 46, P]],
  [0x3a, 60, 146250, [1680, 104, 176, 280, N], [1050, 3, 6, 30, P]],
  [0x44, 60, 154000, [1920, 48, 32, 80, P], [1200, 3, 6, 26, N], true],
  [0x45, 60, 193250, [1920, 136, 200, 336, N], [1200, 3, 6, 36, P]],
  [0x51, 60, 85500, [1366, 70, 143, 213, P], [768, 3, 3, 24, P]],
  [0x52, 60, 148500, [1920, 88, 44, 148, P], [1080, 4, 5, 36, P]],
  [0x55, 60, 74250, [1280, 110, 40, 220, P], [720, 5, 5, 20, P]],
];

export const DMT_MODES: readonly DmtMode[] = ROWS.map(([id, nominalHz, clockKhz, h, v, rb]) => ({
  id,
  nominalHz,
  reducedBlanking: rb === true,
  timing: {
    pixelClockHz: clockKhz * 1000,
    hActive: h[0],
    hFrontPorch: h[1],
    hSync: h[2],
    hBackPorch: h[3],
    hSyncPositive: h[4],
    vActive: v[0],
    vFrontPorch: v[1],
    vSync: v[2],
    vBackPorch: v[3],
    vSyncPositive: v[4],
    interlaced: false,
  },
}));

/** The DMT mode for W×H at a nominal refresh, with or without reduced blanking, if the standard has one. */
export function findDmt(width: number, height: number, refreshHz: number, reducedBlanking: boolean): DmtMode | undefined {
  return DMT_MODES.find(
    (m) =>
      m.timing.hActive === width &&
      m.timing.vActive === height &&
      m.nominalHz === refreshHz &&
      m.reducedBlanking === reducedBlanking,
  );
}
