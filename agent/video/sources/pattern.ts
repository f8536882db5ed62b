/** The "NO SIGNAL" placeholder the frame hub serves while there is no picture. */
import { createCanvas, drawText, textWidth, GLYPH_HEIGHT, type RgbCanvas } from '../font';

/** The largest integer text scale at which `text` fits in `fraction` of the width. */
export function fittingScale(text: string, width: number, fraction: number): number {
  return Math.max(1, Math.floor((width * fraction) / textWidth(text)));
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
