/**
 * When the capture loop converts a frame, and how long it may sleep before the next one — pure
 * arithmetic on a ms clock, no timers, so the rules are testable on their own.
 *
 * - `demand` (frames per second, 0 = nobody watching) sets a grid of due times; a frame up to a
 *   small slack early still counts as due, because frames arrive on the source's grid, not ours.
 * - More demand (a new client, a snapshot) makes the next frame due at once, not on the old grid.
 * - Between due times the loop sleeps, waking one source frame early: the stale buffers are then
 *   given back and the next frame the driver completes is the fresh one that gets converted.
 *   When frames are due about as often as the source sends them, sleeping gains nothing and the
 *   loop takes every buffer as it comes.
 */

/** Assumed until the timings tell the real rate (USB grabbers have no DV timings): 30 Hz. */
export const DEFAULT_SOURCE_FRAME_MS = 1000 / 30;

export class ConversionPacer {
  private demand = 0;
  private nextDue = 0;
  private sourceFrameMs = DEFAULT_SOURCE_FRAME_MS;

  /** `idleLookMs`: the longest sleep while nothing is due (the loop still looks at the device). */
  constructor(private readonly idleLookMs: number) {}

  /** The highest rate anyone wants; true when it rose (the sleeping loop should wake). */
  setDemand(fps: number, now: number): boolean {
    const demand = Math.max(0, fps);
    const rose = demand > this.demand;
    if (rose) this.nextDue = Math.min(this.nextDue, now);
    this.demand = demand;
    return rose;
  }

  /** The source's frame period, from the negotiated timings (0 or unknown → the default). */
  setSourceRate(hz: number): void {
    this.sourceFrameMs = hz > 0 ? 1000 / hz : DEFAULT_SOURCE_FRAME_MS;
  }

  /** Whether a frame dequeued at `now` is converted; if so the next one is due a period later. */
  takeIfDue(now: number): boolean {
    if (this.demand <= 0) return false;
    const period = 1000 / this.demand;
    if (now + this.slack() < this.nextDue) return false;
    this.nextDue = Math.max(this.nextDue + period, now + period / 2);
    return true;
  }

  /** How long the loop may sleep before it must take frames again (0: take them as they come). */
  sleepMs(now: number): number {
    if (this.demand <= 0) return this.idleLookMs;
    const untilDue = this.nextDue - this.slack() - now;
    if (untilDue < 2 * this.sourceFrameMs) return 0;
    return Math.min(untilDue - this.sourceFrameMs, this.idleLookMs);
  }

  private slack(): number {
    return this.demand > 0 ? Math.min(500 / this.demand, 10) : 0;
  }
}
