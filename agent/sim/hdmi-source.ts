/**
 * The simulated PiKVM's HDMI input: renders what the virtual SUT shows — its text console with
 * the built-in VGA-style font, the pointer, and optional coloured marks — at the SUT's current
 * resolution. While the SUT is powered off there is no signal (`no-signal`, like the TC358743
 * reporting ENOLINK); a change of width/height is a mode change (state event, new frame size),
 * as a real source re-negotiating its timings.
 *
 * The SUT model is read through an injected function each source tick, so the simulator owns its
 * state and this module owns only the picture.
 */
import { fillRect, renderConsole, type Rgb, type RgbCanvas } from '../video/font';
import { PacedSource } from '../video/sources/paced-source';

interface ScreenMark {
  x: number;
  y: number;
  width: number;
  height: number;
  color: Rgb;
}

export interface VirtualScreen {
  powered: boolean;
  width: number;
  height: number;
  /** text console lines, top to bottom */
  lines: string[];
  pointer: { x: number; y: number };
  /** text cursor cell, if shown */
  cursor?: { row: number; col: number };
  marks?: ScreenMark[];
}

export interface SimulatedHdmiSourceOptions {
  screen: () => VirtualScreen;
  /** the SUT's refresh rate */
  rate?: number;
  /** how often the SUT is polled for power/mode while nobody watches, ms */
  pollMs?: number;
  /** the SUT's power/mode change notice (returns its unsubscribe): followed at once, not at the next poll */
  onSignalChange?: (listener: () => void) => () => void;
  now?: () => number;
}

const POINTER_COLOR: Rgb = [255, 255, 255];
const POINTER_OUTLINE: Rgb = [0, 0, 0];

/** A 2-pixel-wide crosshair with a black outline, centred on the pointer. */
function drawPointer(canvas: RgbCanvas, x: number, y: number): void {
  fillRect(canvas, x - 8, y - 2, 17, 5, POINTER_OUTLINE);
  fillRect(canvas, x - 2, y - 8, 5, 17, POINTER_OUTLINE);
  fillRect(canvas, x - 7, y - 1, 15, 3, POINTER_COLOR);
  fillRect(canvas, x - 1, y - 7, 3, 15, POINTER_COLOR);
}

export class SimulatedHdmiSource extends PacedSource {
  private readonly screen: () => VirtualScreen;
  private readonly pollMs: number;
  private readonly onSignalChange: SimulatedHdmiSourceOptions['onSignalChange'];
  private poller: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(options: SimulatedHdmiSourceOptions) {
    const first = options.screen();
    super({
      width: first.width,
      height: first.height,
      rate: options.rate ?? 60,
      ...(options.now ? { now: options.now } : {}),
    });
    this.screen = options.screen;
    this.pollMs = options.pollMs ?? 250;
    this.onSignalChange = options.onSignalChange;
  }

  override async start(): Promise<void> {
    await super.start();
    if (!this.poller) this.poller = setInterval(() => this.poll(), this.pollMs);
    this.unsubscribe ??= this.onSignalChange?.(() => this.poll());
  }

  override async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await super.stop();
  }

  /** Follow the SUT: power → signal, resolution → mode. */
  protected override refresh(): void {
    const s = this.screen();
    if (!s.powered) {
      this.setOffline('no-signal');
      return;
    }
    this.setSize(s.width, s.height);
    this.setOnline();
  }

  /** Between frames: notice power and mode changes, and show the picture at once when it returns. */
  private poll(): void {
    const wasOnline = this.isOnline;
    this.refresh();
    if (!wasOnline && this.isOnline) this.kick();
  }

  protected render(): Buffer {
    const s = this.screen();
    const canvas = renderConsole(s.lines, s.cursor ?? null, this.width, this.height);
    for (const m of s.marks ?? []) fillRect(canvas, m.x, m.y, m.width, m.height, m.color);
    drawPointer(canvas, s.pointer.x, s.pointer.y);
    return canvas.rgb;
  }
}
