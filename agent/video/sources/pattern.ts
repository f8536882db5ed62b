/**
 * Test-pattern rendering shared by the synthetic source and the benches: SMPTE-like colour bars
 * with a caption and a frame counter, and the "NO SIGNAL" placeholder.
 */
import { createCanvas, drawText, fillRect, textWidth, GLYPH_HEIGHT, type Rgb, type RgbCanvas } from '../font';

/** 75 % colour bars, left to right: white, yellow, cyan, green, magenta, red, blue, black. */
export const BAR_COLORS: readonly Rgb[] = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
  [0, 0, 0],
];

export function renderColorBars(width: number, height: number): RgbCanvas {
  const canvas = createCanvas(width, height);
  const n = BAR_COLORS.length;
  for (let i = 0; i < n; i++) {
    const x0 = Math.floor((i * width) / n);
    const x1 = Math.floor(((i + 1) * width) / n);
    fillRect(canvas, x0, 0, x1 - x0, height, BAR_COLORS[i]!);
  }
  return canvas;
}

/** The largest integer text scale at which `text` fits in `fraction` of the width. */
function fittingScale(text: string, width: number, fraction: number): number {
  return Math.max(1, Math.floor((width * fraction) / textWidth(text)));
}

/** Draw the frame counter box (black box, white digits) at the top-left corner. */
export function drawCounter(canvas: RgbCanvas, label: string): void {
  const scale = fittingScale('0000000000', canvas.width, 0.3);
  const w = textWidth(label, scale) + 8 * scale;
  fillRect(canvas, 0, 0, w, (GLYPH_HEIGHT + 4) * scale, [0, 0, 0]);
  drawText(canvas, label, 4 * scale, 2 * scale, [255, 255, 255], scale);
}

/** The placeholder served while there is no picture: dark grey, "NO SIGNAL" and the reason. */
export function renderNoSignal(width: number, height: number, reason: string): RgbCanvas {
  const canvas = createCanvas(width, height, [16, 16, 16]);
  const title = 'NO SIGNAL';
  const scale = fittingScale(title, width, 0.5);
  const th = GLYPH_HEIGHT * scale;
  drawText(canvas, title, Math.floor((width - textWidth(title, scale)) / 2), Math.floor((height - th) / 2), [255, 255, 255], scale);
  const small = Math.max(1, Math.floor(scale / 3));
  drawText(
    canvas,
    reason,
    Math.floor((width - textWidth(reason, small)) / 2),
    Math.floor((height + th) / 2) + GLYPH_HEIGHT * small,
    [160, 160, 160],
    small,
  );
  return canvas;
}
