/**
 * VESA Coordinated Video Timings, CVT 1.2 (2013), section 5: the formula a monitor vendor uses to
 * derive timings for a mode that has no DMT entry. Progressive scan, no margins. Two variants:
 * normal blanking (CRT-style, section 5.3) and reduced blanking version 1 (section 5.4, for
 * digital links: 160-pixel horizontal blank, at least 460 µs vertical blank).
 *
 * The spec works on the width rounded to an 8-pixel character cell. For a width that is not a
 * multiple of 8 we compute the timing for the next multiple of 8 (as `cvt`/libxcvt does) and keep
 * the requested active width, giving the spare pixels to the front porch: the totals, the pixel
 * clock and the refresh rate stay those of the CVT timing. Tests compare with Debian's `cvt`
 * (package xcvt) and `edid-decode --cvt`.
 */
import type { VideoTiming } from './timing';

const CELL_GRANULARITY = 8;
/** Pixel clock granularity, 0.25 MHz (CLOCK_STEP). */
const CLOCK_STEP_HZ = 250_000;
/** Minimum vertical front porch in lines (MIN_V_PORCH_RND). */
const MIN_V_FRONT_PORCH = 3;
/** Minimum vertical back porch in lines (MIN_V_BPORCH). */
const MIN_V_BACK_PORCH = 6;
/** Minimum time of vertical sync plus back porch, µs (MIN_VSYNC_BP). */
const MIN_VSYNC_BP_US = 550;
/** Horizontal sync width as a percentage of the line (H_SYNC_PER). */
const H_SYNC_PERCENT = 8;
/** Blanking formula: C' = (C−J)·K/256 + J and M' = K/256·M with C=40, M=600, K=128, J=20. */
const C_PRIME = ((40 - 20) * 128) / 256 + 20;
const M_PRIME = (128 / 256) * 600;
/** Reduced blanking v1 constants (section 5.4). */
const RB_H_BLANK = 160;
const RB_H_SYNC = 32;
const RB_MIN_V_BLANK_US = 460;
const RB_V_FRONT_PORCH = 3;

/**
 * The vertical sync width encodes the aspect ratio (CVT 1.2 table 3-2): 4:3 → 4, 16:9 → 5,
 * 16:10 → 6, 5:4 and 15:9 → 7, anything else → 10.
 */
export function cvtVSyncLines(width: number, height: number): number {
  if (width * 3 === height * 4) return 4;
  if (width * 9 === height * 16) return 5;
  if (width * 10 === height * 16) return 6;
  if (width * 4 === height * 5 || width * 9 === height * 15) return 7;
  return 10;
}

/**
 * Guard floating point at the spec's ROUNDDOWN steps: a quotient that is an integer in exact
 * arithmetic can come out as n − 1e-12 in binary.
 */
function floorStable(x: number): number {
  return Math.floor(x + 1e-9);
}

export interface CvtOptions {
  reducedBlanking: boolean;
}

/** The CVT 1.2 timing for width × height at refreshHz (progressive). */
export function cvtTiming(width: number, height: number, refreshHz: number, options: CvtOptions): VideoTiming {
  const cellWidth = Math.ceil(width / CELL_GRANULARITY) * CELL_GRANULARITY;
  const vSync = cvtVSyncLines(cellWidth, height);
  const base = options.reducedBlanking
    ? reducedBlanking(cellWidth, height, refreshHz, vSync)
    : normalBlanking(cellWidth, height, refreshHz, vSync);
  return { ...base, hActive: width, hFrontPorch: base.hFrontPorch + (cellWidth - width) };
}

function normalBlanking(width: number, height: number, refreshHz: number, vSync: number): VideoTiming {
  // Section 5.3 step 1: estimated line period in µs.
  const hPeriodUs = (1e6 / refreshHz - MIN_VSYNC_BP_US) / (height + MIN_V_FRONT_PORCH);
  // Steps 2-4: vertical sync + back porch, at least vSync + MIN_V_BPORCH lines.
  const vSyncBackPorch = Math.max(floorStable(MIN_VSYNC_BP_US / hPeriodUs) + 1, vSync + MIN_V_BACK_PORCH);
  // Steps 7-8: ideal blanking duty cycle (at least 20 %), blank rounded down to 2 cells.
  const dutyCycle = Math.max(C_PRIME - (M_PRIME * hPeriodUs) / 1000, 20);
  const twoCells = 2 * CELL_GRANULARITY;
  const hBlankPixels = floorStable((width * dutyCycle) / (100 - dutyCycle) / twoCells) * twoCells;
  const totalPixels = width + hBlankPixels;
  // Step 10: pixel clock rounded down to CLOCK_STEP.
  const pixelClockHz = floorStable(totalPixels / hPeriodUs / (CLOCK_STEP_HZ / 1e6)) * CLOCK_STEP_HZ;
  // Steps 12-13: sync is 8 % of the line rounded down to a cell; back porch is half the blank.
  const hSync = floorStable((H_SYNC_PERCENT / 100) * totalPixels / CELL_GRANULARITY) * CELL_GRANULARITY;
  const hBackPorch = hBlankPixels / 2;
  return {
    pixelClockHz,
    hActive: width,
    hFrontPorch: hBlankPixels - hSync - hBackPorch,
    hSync,
    hBackPorch,
    hSyncPositive: false,
    vActive: height,
    vFrontPorch: MIN_V_FRONT_PORCH,
    vSync,
    vBackPorch: vSyncBackPorch - vSync,
    vSyncPositive: true,
    interlaced: false,
  };
}

function reducedBlanking(width: number, height: number, refreshHz: number, vSync: number): VideoTiming {
  // Section 5.4 step 1: line period estimate leaving RB_MIN_V_BLANK for the vertical blank.
  const hPeriodUs = (1e6 / refreshHz - RB_MIN_V_BLANK_US) / height;
  // Steps 2-3: blanking lines, at least front porch + sync + minimum back porch.
  const vBlankLines = Math.max(
    floorStable(RB_MIN_V_BLANK_US / hPeriodUs) + 1,
    RB_V_FRONT_PORCH + vSync + MIN_V_BACK_PORCH,
  );
  const totalLines = height + vBlankLines;
  const totalPixels = width + RB_H_BLANK;
  // Step 5: pixel clock from the requested refresh, rounded down to CLOCK_STEP.
  const pixelClockHz = floorStable((refreshHz * totalLines * totalPixels) / CLOCK_STEP_HZ) * CLOCK_STEP_HZ;
  const hBackPorch = RB_H_BLANK / 2;
  return {
    pixelClockHz,
    hActive: width,
    hFrontPorch: RB_H_BLANK - RB_H_SYNC - hBackPorch,
    hSync: RB_H_SYNC,
    hBackPorch,
    hSyncPositive: true,
    vActive: height,
    vFrontPorch: RB_V_FRONT_PORCH,
    vSync,
    vBackPorch: vBlankLines - RB_V_FRONT_PORCH - vSync,
    vSyncPositive: false,
    interlaced: false,
  };
}
