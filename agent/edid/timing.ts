/**
 * A video timing as an EDID detailed timing descriptor carries it: active area, porches, sync
 * widths and polarities, pixel clock. Everything else (refresh, line rate) is derived from these.
 */
export interface VideoTiming {
  pixelClockHz: number;
  hActive: number;
  hFrontPorch: number;
  hSync: number;
  hBackPorch: number;
  vActive: number;
  vFrontPorch: number;
  vSync: number;
  vBackPorch: number;
  hSyncPositive: boolean;
  vSyncPositive: boolean;
  interlaced: boolean;
}

/** A requested mode: what `edid make WxH@Hz` asks for. */
export interface ModeRequest {
  width: number;
  height: number;
  refreshHz: number;
  reducedBlanking: boolean;
}

export function hTotal(t: VideoTiming): number {
  return t.hActive + t.hFrontPorch + t.hSync + t.hBackPorch;
}

export function vTotal(t: VideoTiming): number {
  return t.vActive + t.vFrontPorch + t.vSync + t.vBackPorch;
}

/** Line rate in Hz. */
export function lineRateHz(t: VideoTiming): number {
  const total = hTotal(t);
  return total > 0 ? t.pixelClockHz / total : 0;
}

/** Frame rate in Hz (field rate for interlaced timings, where vTotal counts one field). */
export function refreshHz(t: VideoTiming): number {
  const total = hTotal(t) * vTotal(t);
  return total > 0 ? t.pixelClockHz / total : 0;
}

/** `1024x768@60.00` — the mode as people name it. */
function modeName(t: VideoTiming): string {
  return `${t.hActive}x${t.vActive}${t.interlaced ? 'i' : ''}@${refreshHz(t).toFixed(2)}`;
}

/** One line with every number, in the order of an X modeline: clock, h timings, v timings. */
export function describeTiming(t: VideoTiming): string {
  const mhz = (t.pixelClockHz / 1e6).toFixed(3);
  const khz = (lineRateHz(t) / 1e3).toFixed(3);
  return (
    `${modeName(t)} Hz, ${mhz} MHz, ${khz} kHz; ` +
    `h ${t.hActive} +${t.hFrontPorch} sync ${t.hSync} +${t.hBackPorch} = ${hTotal(t)} ${t.hSyncPositive ? '+' : '-'}hsync; ` +
    `v ${t.vActive} +${t.vFrontPorch} sync ${t.vSync} +${t.vBackPorch} = ${vTotal(t)} ${t.vSyncPositive ? '+' : '-'}vsync`
  );
}

/**
 * Whether `t` is the mode `request` names: same active area, refresh within 1 % (DMT's
 * "60 Hz" modes run at 59.94 to 60.32 Hz).
 */
export function matchesRequest(t: VideoTiming, request: Pick<ModeRequest, 'width' | 'height' | 'refreshHz'>): boolean {
  return (
    t.hActive === request.width &&
    t.vActive === request.height &&
    Math.abs(refreshHz(t) - request.refreshHz) <= request.refreshHz * 0.01
  );
}
