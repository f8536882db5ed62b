/**
 * The virtual SUT behind the simulated PiKVM: a machine with a power switch, a screen mode, a
 * text console fed by the virtual USB host's keyboard, a click target that reacts to the pointer,
 * and a status line listing the media it sees on the gadget's mass-storage LUNs.
 *
 * It exists so that a real client (os-autoinst, a person on the status page) can see the effect
 * of every command the agent carries out: typed text appears, a click on the target turns it
 * green, an attached image shows up, powering off cuts the HDMI signal.
 */
import type { Rgb } from '../video/font';
import type { VirtualScreen } from './hdmi-source';
import type { UsbHostEvent, VirtualUsbHost } from './usbhost';

export interface SutMedium {
  lun: number;
  file: string;
  cdrom: boolean;
  readOnly: boolean;
}

export interface VirtualSutDeps {
  host: VirtualUsbHost;
  media: () => SutMedium[];
  screen: { width: number; height: number };
}

/** The click target: a box near the bottom-right corner, away from the hidden pointer's corner. */
export const TARGET = { width: 160, height: 80, marginRight: 200, marginBottom: 160 } as const;
const TARGET_IDLE: Rgb = [40, 80, 220];
const TARGET_HIT: Rgb = [40, 200, 80];

export const BANNER = 'pikvm-agent virtual SUT';
/** Off screen: the renderer clips it away. */
const HIDDEN_POINTER = { x: -100, y: -100 };
/** Rows above the console: banner, hint, media line, blank. */
const HEADER_ROWS = 4;
const GLYPH_W = 8;
const GLYPH_H = 16;

export class VirtualSut {
  private powered = true;
  private width: number;
  private height: number;
  private targetHit: { x: number; y: number } | null = null;
  /** The last shortcut chord (a key pressed with Ctrl, Alt or Super held), as the SUT saw it. */
  private lastShortcut: string | null = null;
  /** The pointer is drawn once it has moved since power-on, as most OSes show it. */
  private pointerShown = false;
  private unsubscribe: (() => void) | null = null;
  private readonly signalListeners = new Set<() => void>();

  constructor(private readonly deps: VirtualSutDeps) {
    this.width = deps.screen.width;
    this.height = deps.screen.height;
  }

  start(): void {
    this.unsubscribe ??= this.deps.host.onEvent((e) => this.onHostEvent(e));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /**
   * Told at once of what changes the HDMI signal (power, mode), as a receiver's interrupt tells
   * the capture side: a `sim power off` that has answered leaves `pikvm-agent signal` saying so.
   */
  onSignalChange(listener: () => void): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** Power on boots afresh (empty console, target reset); power off cuts the video signal. */
  setPower(on: boolean): void {
    if (on && !this.powered) this.reset();
    this.powered = on;
    this.signalChanged();
  }

  isPowered(): boolean {
    return this.powered;
  }

  /** Switch the SUT's screen mode (the HDMI source sees a mode change). */
  setMode(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.deps.host.setScreenSize(width, height);
    this.signalChanged();
  }

  private signalChanged(): void {
    for (const listener of [...this.signalListeners]) listener();
  }

  mode(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  target(): { x: number; y: number; width: number; height: number } {
    return {
      x: this.width - TARGET.marginRight,
      y: this.height - TARGET.marginBottom,
      width: TARGET.width,
      height: TARGET.height,
    };
  }

  /** Where the last left click on the target landed, or null. */
  targetClick(): { x: number; y: number } | null {
    return this.targetHit;
  }

  status(): unknown {
    return {
      powered: this.powered,
      mode: this.mode(),
      target: this.target(),
      targetClick: this.targetHit,
      lastShortcut: this.lastShortcut,
      media: this.deps.media(),
    };
  }

  /** What the HDMI output shows now. */
  screen(): VirtualScreen {
    const cols = Math.floor(this.width / GLYPH_W);
    const rows = Math.floor(this.height / GLYPH_H);
    const consoleRows = Math.max(1, rows - HEADER_ROWS);
    const wrapped = wrap(this.deps.host.text(), cols);
    const visible = wrapped.slice(-consoleRows);
    const media = this.deps.media();
    const mediaLine = media.length === 0 ? 'media: none' : `media: ${media.map(describeMedium).join(', ')}`;
    const lines = [
      `${BANNER} ${this.width}x${this.height}`,
      this.targetHit ? `target clicked at ${this.targetHit.x},${this.targetHit.y}` : 'click the blue box',
      mediaLine.slice(0, cols),
      this.lastShortcut ? `shortcut: ${this.lastShortcut}` : '',
      ...visible,
    ];
    const lastRow = visible.length - 1;
    const pointer = this.pointerShown ? this.deps.host.pointer() : HIDDEN_POINTER;
    const t = this.target();
    return {
      powered: this.powered,
      width: this.width,
      height: this.height,
      lines,
      pointer: { x: pointer.x, y: pointer.y },
      cursor: { row: HEADER_ROWS + Math.max(0, lastRow), col: (visible[lastRow] ?? '').length },
      marks: [{ ...t, color: this.targetHit ? TARGET_HIT : TARGET_IDLE }],
    };
  }

  private reset(): void {
    this.deps.host.clear();
    this.targetHit = null;
    this.lastShortcut = null;
    this.pointerShown = false;
  }

  /** Ctrl+L clears the console as a terminal does; every shortcut chord is shown on its line. */
  private onKeyDown(key: string, held: string[]): void {
    if (key in SHORTCUT_NAMES || SHIFT_NAMES.has(key)) return;
    const modifiers = held.filter((k) => k in SHORTCUT_NAMES || SHIFT_NAMES.has(k));
    if (!modifiers.some((k) => k in SHORTCUT_NAMES)) return;
    const names = [...new Set(modifiers.map((k) => SHORTCUT_NAMES[k] ?? 'shift'))];
    this.lastShortcut = [...names, key].join('-');
    if (this.lastShortcut === 'ctrl-l') this.deps.host.clear();
  }

  private onHostEvent(e: UsbHostEvent): void {
    if (!this.powered) return;
    if (e.kind === 'key-down') this.onKeyDown(e.key, e.held);
    if (e.kind === 'pointer-move') this.pointerShown = true;
    if (e.kind !== 'click' || e.button !== 'left') return;
    const t = this.target();
    if (e.x >= t.x && e.x < t.x + t.width && e.y >= t.y && e.y < t.y + t.height) this.targetHit = { x: e.x, y: e.y };
  }
}

/** Shortcut modifiers as a desktop names them: either side of Ctrl, Alt, Super. */
const SHORTCUT_NAMES: Record<string, string> = {
  control_l: 'ctrl', control_r: 'ctrl', alt_l: 'alt', alt_r: 'alt', super_l: 'super', super_r: 'super',
};
const SHIFT_NAMES = new Set(['shift_l', 'shift_r']);

function describeMedium(m: SutMedium): string {
  const name = m.file.slice(m.file.lastIndexOf('/') + 1);
  return `lun${m.lun} ${name} ${m.cdrom ? 'cdrom' : 'disk'} ${m.readOnly ? 'ro' : 'rw'}`;
}

/** Split console text into screen rows of at most `cols` characters. */
export function wrap(text: string, cols: number): string[] {
  const rows: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) rows.push('');
    for (let i = 0; i < line.length; i += cols) rows.push(line.slice(i, i + cols));
  }
  return rows;
}
