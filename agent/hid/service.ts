/**
 * Keyboard and pointer for the control protocol: turns combos, text and pointer commands into HID
 * reports on the gadget's devices.
 *
 * - One queue: every operation, from every caller, runs to completion before the next starts, so a
 *   combo never interleaves with another client's reports.
 * - Combos are pressed one key per report — modifiers first in the order named, then the keys — and
 *   released in exact reverse, the last report being all-zero. Each report adds or removes exactly
 *   one key, so the host sees the same edges a person makes (modifier down before the key's
 *   down edge), which is what hosts that act on edges (BIOS setup, Windows' Ctrl+Alt+Del, Linux
 *   SysRq) expect; os-autoinst's VNC backend presses and releases the same way
 *   (`consoles/VNC.pm`, `map_and_send_key`). The cost is 2×n reports, well under a millisecond
 *   each at the host's 1 ms polling.
 * - No key is left down: after any failed write the service tries an all-release (errors ignored)
 *   and rethrows the first error.
 * - The host is asked first (`isHostOnline`, e.g. the UDC state is `configured`), so an absent host
 *   answers `host-offline` at once instead of after the write retry bound.
 * - Pointer positions come in the caller's coordinate space (`space.ts`) and go out as the logical
 *   0..32767 range, which every host maps onto its whole screen: the SUT's mode plays no part.
 *
 * The service does not own the devices: the gadget side opens and closes them (they change on a
 * replug) and hands them over through the `keyboard`/`pointer` accessors.
 */
import { AgentError, fromErrno } from '../errors';
import type { Logger } from '../log';
import type { HidDevice } from './device';
import { charToChord, type KeyChord, parseCombo } from './keymap';
import {
  keyboardReleaseReport,
  keyboardReport,
  type LedState,
  parseLedReport,
  pointerReport,
  screenToLogical,
} from './reports';
import { clampToSpace, type ScreenSize } from './space';
import { ALL_BUTTONS } from './usages';

export interface HidServiceDeps {
  /** The keyboard function's device, or null while the gadget is not bound. */
  keyboard: () => HidDevice | null;
  /** The pointer function's device, or null while the gadget is not bound. */
  pointer: () => HidDevice | null;
  /** Whether the USB host has configured the gadget. */
  isHostOnline: () => Promise<boolean>;
  logger: Logger;
  /** How often to read the keyboard's output reports (LEDs). Default 50 ms. */
  ledPollMs?: number;
}

/** The last position as its client sent it (clamped into its space; no space before the first move). */
export interface PointerPosition {
  x: number;
  y: number;
  space: ScreenSize | null;
  buttons: number;
}

/** Characters `typeText` accepts besides the printable ones: control characters it maps or drops. */
const TYPED_CONTROL: Record<string, string | null> = { '\n': 'ret', '\t': 'tab', '\b': 'backspace', '\x1b': 'esc', '\r': null };

const WHEEL_STEP_MAX = 127;
const LED_READS_PER_POLL = 16;

export class HidService {
  private queue: Promise<unknown> = Promise.resolve();
  /** What the reports carry: logical 0..32767 on both axes. */
  private logical = { x: 0, y: 0 };
  private lastMove: { x: number; y: number; space: ScreenSize | null } = { x: 0, y: 0, space: null };
  private buttons = 0;
  private leds: LedState = { numLock: false, capsLock: false, scrollLock: false };
  private ledTimer: NodeJS.Timeout | undefined;
  private ledReadFailing = false;

  constructor(private readonly deps: HidServiceDeps) {}

  async start(): Promise<void> {
    if (this.ledTimer) return;
    this.ledTimer = setInterval(() => this.refreshLeds(), this.deps.ledPollMs ?? 50);
    this.ledTimer.unref();
  }

  /** Stops the LED poll and releases every key and button. Idempotent. */
  async stop(): Promise<void> {
    if (this.ledTimer) clearInterval(this.ledTimer);
    this.ledTimer = undefined;
    await this.releaseAll();
  }

  /** Press and release a combo (`ctrl-alt-delete`, `A`, `ret`). */
  key(combo: string): Promise<void> {
    const chord = parseCombo(combo);
    if (chord instanceof AgentError) return Promise.reject(chord);
    return this.input(async () => this.pressChord(this.keyboard(), chord));
  }

  /** Type text character by character (US layout). Nothing is sent if any character is untypable. */
  typeText(text: string): Promise<void> {
    const chords: KeyChord[] = [];
    for (const ch of text) {
      const control = TYPED_CONTROL[ch];
      if (control === null) continue;
      const chord = control !== undefined ? parseCombo(control) : charToChord(ch);
      if (!chord || chord instanceof AgentError) {
        const shown = JSON.stringify(ch);
        return Promise.reject(new AgentError('unknown-key', `cannot type ${shown} on a US keyboard`));
      }
      chords.push(chord);
    }
    return this.input(async () => {
      const keyboard = this.keyboard();
      for (const chord of chords) await this.pressChord(keyboard, chord);
    });
  }

  /**
   * Move the pointer to (x, y) of the caller's space; past the right or bottom edge is the edge.
   * Held buttons stay held.
   */
  pointerMove(x: number, y: number, space: ScreenSize): Promise<void> {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      return Promise.reject(new AgentError('bad-argument', `pointer position ${x},${y} is not a number`));
    }
    if (!Number.isInteger(space.width) || !Number.isInteger(space.height) || space.width < 2 || space.height < 2) {
      return Promise.reject(new AgentError('bad-argument', `coordinate space ${space.width}x${space.height} is invalid`));
    }
    const sent = clampToSpace(x, y, space);
    return this.input(async () => {
      this.logical = { x: screenToLogical(sent.x, space.width), y: screenToLogical(sent.y, space.height) };
      this.lastMove = { ...sent, space: { width: space.width, height: space.height } };
      await this.writePointer(this.pointer(), 0);
    });
  }

  /** Set the held buttons (bit0 left, bit1 right, bit2 middle, bit3 back, bit4 forward) at the last position. */
  pointerButtons(mask: number): Promise<void> {
    if (!Number.isInteger(mask) || mask < 0 || mask > ALL_BUTTONS) {
      return Promise.reject(new AgentError('bad-argument', `button mask ${mask} out of range 0..${ALL_BUTTONS}`));
    }
    return this.input(async () => {
      this.buttons = mask;
      await this.writePointer(this.pointer(), 0);
    });
  }

  /** Scroll by `delta` detents (positive: away from the user), split into reports of at most ±127. */
  wheel(delta: number): Promise<void> {
    if (!Number.isInteger(delta)) return Promise.reject(new AgentError('bad-argument', `wheel delta ${delta} is not an integer`));
    return this.input(async () => {
      const device = this.pointer();
      for (let left = delta; left !== 0; ) {
        const step = Math.max(-WHEEL_STEP_MAX, Math.min(WHEEL_STEP_MAX, left));
        await this.writePointer(device, step);
        left -= step;
      }
    });
  }

  pointerPosition(): PointerPosition {
    const { x, y, space } = this.lastMove;
    return { x, y, space: space && { ...space }, buttons: this.buttons };
  }

  /** Keyboard LEDs as of the host's last output report. */
  ledState(): LedState {
    return { ...this.leds };
  }

  /** All-zero keyboard report and a button-less pointer report. Never throws. */
  releaseAll(): Promise<void> {
    return this.enqueue(() => this.releaseQuietly());
  }

  /** Runs an input operation in the queue: host check first, all-release after any failure. */
  private input(op: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      await this.ensureHostOnline();
      try {
        await op();
      } catch (e) {
        const error = fromErrno(e, 'hid write');
        await this.releaseQuietly();
        throw error;
      }
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async ensureHostOnline(): Promise<void> {
    let online: boolean;
    try {
      online = await this.deps.isHostOnline();
    } catch (e) {
      throw fromErrno(e, 'host state');
    }
    if (!online) throw new AgentError('host-offline', 'USB host not connected');
  }

  private async pressChord(device: HidDevice, chord: KeyChord): Promise<void> {
    let modifiers = 0;
    const held: number[] = [];
    for (const bit of chord.modifierOrder) {
      modifiers |= bit;
      await device.write(keyboardReport(modifiers, held));
    }
    for (const usage of chord.keys) {
      held.push(usage);
      await device.write(keyboardReport(modifiers, held));
    }
    while (held.length > 0) {
      held.pop();
      await device.write(keyboardReport(modifiers, held));
    }
    for (const bit of [...chord.modifierOrder].reverse()) {
      modifiers &= ~bit;
      await device.write(keyboardReport(modifiers, held));
    }
  }

  private async writePointer(device: HidDevice, wheel: number): Promise<void> {
    await device.write(pointerReport(this.buttons, this.logical.x, this.logical.y, wheel));
  }

  private async releaseQuietly(): Promise<void> {
    this.buttons = 0;
    const keyboard = this.deps.keyboard();
    const pointer = this.deps.pointer();
    const attempts: Promise<void>[] = [];
    if (keyboard) attempts.push(keyboard.write(keyboardReleaseReport()));
    if (pointer) attempts.push(this.writePointer(pointer, 0));
    const outcomes = await Promise.allSettled(attempts);
    for (const o of outcomes) {
      if (o.status === 'rejected') this.deps.logger.debug('release failed', { error: fromErrno(o.reason, 'release').message });
    }
  }

  private keyboard(): HidDevice {
    const device = this.deps.keyboard();
    if (!device) throw new AgentError('no-device', 'keyboard not available (gadget not bound)');
    return device;
  }

  private pointer(): HidDevice {
    const device = this.deps.pointer();
    if (!device) throw new AgentError('no-device', 'pointer not available (gadget not bound)');
    return device;
  }

  /** Drain the keyboard's pending output reports and keep the last (the timer calls this). */
  refreshLeds(): void {
    const keyboard = this.deps.keyboard();
    if (!keyboard) return;
    try {
      let last: Uint8Array | null = null;
      for (let i = 0; i < LED_READS_PER_POLL; i++) {
        const report = keyboard.readOutputReport();
        if (!report) break;
        last = report;
      }
      if (last) this.leds = parseLedReport(last);
      this.ledReadFailing = false;
    } catch (e) {
      if (!this.ledReadFailing) this.deps.logger.warn('reading keyboard LEDs failed', { error: fromErrno(e, 'led read').message });
      this.ledReadFailing = true;
    }
  }
}
