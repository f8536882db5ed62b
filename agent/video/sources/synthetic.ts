/**
 * A frame source that needs no hardware: colour bars with a frame counter, at a configurable
 * size and source rate. Sequence numbers count source frames, so frames the hub did not ask for
 * show as gaps. Tests and benches drive it through signal loss and mode changes.
 */
import type { OfflineReason } from '../frame';
import { PacedSource, type PacedSourceOptions } from './paced-source';
import { drawCounter, renderColorBars } from './pattern';

export type SyntheticSourceOptions = PacedSourceOptions;

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
