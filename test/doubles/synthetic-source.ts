/**
 * A frame source that needs no hardware: SMPTE-like colour bars with a frame counter, at a configurable
 * size and source rate. Sequence numbers count source frames, so frames the hub did not ask for
 * show as gaps. Tests drive it through signal loss and mode changes; it never ships.
 */
import type { OfflineReason } from '../../agent/video/frame';
import { PacedSource } from '../../agent/video/sources/paced-source';
import { createCanvas, drawText, fillRect, textWidth, GLYPH_HEIGHT, type Rgb, type RgbCanvas } from '../../agent/video/font';
import { fittingScale } from '../../agent/video/sources/pattern';

export class SyntheticSource extends PacedSource {
  private background: Buffer | undefined;
  private backgroundSize = '';

  /** Simulate losing the signal (cable pulled, SUT off). */
  goOffline(reason: OfflineReason = 'no-signal'): void {
    this.setOffline(reason);
  }

  goOnline(): void {
    this.setOnline();
    this.kick();
  }

  /** Simulate the SUT switching resolution. */
  setMode(width: number, height: number): void {
    this.setSize(width, height);
  }

  protected render(sequence: number): Buffer {
    const size = `${this.width}x${this.height}`;
    if (!this.background || this.backgroundSize !== size) {
      this.background = renderColorBars(this.width, this.height).rgb;
      this.backgroundSize = size;
    }
    const rgb = Buffer.from(this.background);
    drawCounter({ width: this.width, height: this.height, rgb }, String(sequence).padStart(8, '0'));
    return rgb;
  }
}

/** 75 % colour bars, left to right: white, yellow, cyan, green, magenta, red, blue, black. */
const BAR_COLORS: readonly Rgb[] = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
  [0, 0, 0],
];

function renderColorBars(width: number, height: number): RgbCanvas {
  const canvas = createCanvas(width, height);
  const n = BAR_COLORS.length;
  for (let i = 0; i < n; i++) {
    const x0 = Math.floor((i * width) / n);
    const x1 = Math.floor(((i + 1) * width) / n);
    fillRect(canvas, x0, 0, x1 - x0, height, BAR_COLORS[i]!);
  }
  return canvas;
}

/** Draw the frame counter box (black box, white digits) at the top-left corner. */
function drawCounter(canvas: RgbCanvas, label: string): void {
  const scale = fittingScale('0000000000', canvas.width, 0.3);
  const w = textWidth(label, scale) + 8 * scale;
  fillRect(canvas, 0, 0, w, (GLYPH_HEIGHT + 4) * scale, [0, 0, 0]);
  drawText(canvas, label, 4 * scale, 2 * scale, [255, 255, 255], scale);
}
