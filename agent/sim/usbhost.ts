/**
 * A virtual USB host with a virtual SUT behind it: it consumes the gadget's HID reports as a real
 * host does (each report is the whole new state; the OS acts on the edges between consecutive
 * reports) and keeps what the SUT would show:
 * - a text console (US layout; Shift and Caps Lock; Enter = newline, Backspace deletes, Tab),
 *   not fed while Ctrl, Alt (either side) or Super is held (those are shortcuts, as on a desktop);
 * - a log of key and pointer events, each key-down carrying the whole chord held at that moment;
 * - the pointer in screen pixels, scaled back from the logical 0..32767 range;
 * - keyboard LEDs: toggling Caps/Num/Scroll Lock sends an LED output report back to the keyboard
 *   function, and so does (re)connecting, as real hosts do at enumeration.
 *
 * It is the device side of the simulated kernel: `hidDevice(fn)` gives `HidDevice`s whose writes
 * land here, following the same contract as `/dev/hidgN`: offline → `host-offline` at once
 * (ESHUTDOWN), online but not polling → `host-offline` after the EAGAIN retry bound.
 */
import { AgentError } from '../errors';
import { HOST_OFFLINE_BOUND_MS, type HidDevice } from '../hid/device';
import { ledReport, logicalToScreen, parseKeyboardReport, parsePointerReport } from '../hid/reports';
import type { ScreenSize } from '../hid/space';
import { HOST_USAGE, hostKey, MODIFIER_NAMES } from './usbhost-layout';

/** The gadget's function names (`agent/gadget`: KEYBOARD_FUNCTION, POINTER_FUNCTION). */
export const DEFAULT_HID_FUNCTIONS = { keyboard: 'hid.usb0', pointer: 'hid.usb1' } as const;

export type UsbHostEvent =
  | { kind: 'key-down'; key: string; held: string[] }
  | { kind: 'key-up'; key: string }
  | { kind: 'pointer-move'; x: number; y: number }
  | { kind: 'button-down' | 'button-up' | 'click'; button: string; x: number; y: number }
  | { kind: 'wheel'; delta: number; x: number; y: number }
  | { kind: 'leds'; numLock: boolean; capsLock: boolean; scrollLock: boolean };

export interface VirtualUsbHostOptions {
  /**
   * The SUT's screen mode now, which the absolute pointer's logical range covers (the SUT owns it;
   * default 1024x768).
   */
  screen?: () => ScreenSize;
  online?: boolean;
  functions?: { keyboard: string; pointer: string };
  /** Bounds on what is kept (oldest events / text dropped first). */
  maxEvents?: number;
  maxTextLength?: number;
}

type Role = 'keyboard' | 'pointer';
const BUTTON_NAMES: ReadonlyArray<[number, string]> = [
  [0x01, 'left'],
  [0x02, 'right'],
  [0x04, 'middle'],
  [0x08, 'back'],
  [0x10, 'forward'],
];
// Ctrl, Alt and Super of either side: in the US layout the right Alt is Alt_R, not AltGr.
const SHORTCUT_MODIFIERS = 0x01 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80;
const SHIFT_MODIFIERS = 0x02 | 0x20;
const KEYBOARD_REPORT_BYTES = 8;
const POINTER_REPORT_BYTES = 6;

export class VirtualUsbHost {
  private online: boolean;
  private polling = true;
  private readonly screen: () => ScreenSize;
  private readonly functions: { keyboard: string; pointer: string };
  private readonly maxEvents: number;
  private readonly maxTextLength: number;
  private readonly devices = new Map<string, SimHidDevice>();
  private readonly keyboardOutput: Uint8Array[] = [];
  private readonly listeners = new Set<(event: UsbHostEvent) => void>();
  private log: UsbHostEvent[] = [];
  private console = '';
  private modifiers = 0;
  private keys: number[] = [];
  private locks = { numLock: false, capsLock: false, scrollLock: false };
  private pointerState = { x: 0, y: 0, buttons: 0 };

  constructor(options: VirtualUsbHostOptions = {}) {
    this.screen = options.screen ?? (() => ({ width: 1024, height: 768 }));
    this.online = options.online ?? true;
    this.functions = { ...(options.functions ?? DEFAULT_HID_FUNCTIONS) };
    this.maxEvents = options.maxEvents ?? 10_000;
    this.maxTextLength = options.maxTextLength ?? 65_536;
    if (this.online) this.sendLeds();
  }

  /** The device node of a HID function, as the simulated kernel hands it to the agent. */
  hidDevice(functionName: string): HidDevice {
    const existing = this.devices.get(functionName);
    if (existing && !existing.closed) return existing;
    const role: Role | undefined =
      functionName === this.functions.keyboard ? 'keyboard' : functionName === this.functions.pointer ? 'pointer' : undefined;
    if (!role) throw new AgentError('not-found', `no HID function ${functionName}`);
    const device = new SimHidDevice(this, role, functionName);
    this.devices.set(functionName, device);
    return device;
  }

  /** Plug in / unplug. Going offline releases everything on the host side, as an unplug does. */
  setOnline(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    if (online) {
      this.sendLeds();
      return;
    }
    this.keyboardOutput.length = 0;
    this.applyKeyboard(0, []);
    this.applyPointer({ ...this.pointerState, buttons: 0 }, 0);
  }

  isOnline(): boolean {
    return this.online;
  }

  /** Online but not collecting reports: writes fail after the EAGAIN bound. */
  setPolling(polling: boolean): void {
    this.polling = polling;
  }

  text(): string {
    return this.console;
  }

  pointer(): { x: number; y: number; buttons: number } {
    return { ...this.pointerState };
  }

  events(): UsbHostEvent[] {
    return this.log.map((e) => ({ ...e }));
  }

  /** The keyboard state the host holds, as the boot report that set it (keys in press order). */
  keyboardReport(): number[] {
    const keys = [...this.keys, 0, 0, 0, 0, 0, 0].slice(0, KEYBOARD_REPORT_BYTES - 2);
    return [this.modifiers, 0, ...keys];
  }

  /** Names of the keys the host believes are down (modifiers first). */
  pressedKeys(): string[] {
    return this.heldNames();
  }

  leds(): { numLock: boolean; capsLock: boolean; scrollLock: boolean } {
    return { ...this.locks };
  }

  /** Forget the console text and the event log (state such as held keys and LEDs stays). */
  clear(): void {
    this.console = '';
    this.log = [];
  }

  onEvent(listener: (event: UsbHostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal called by SimHidDevice */
  async accept(role: Role, report: Uint8Array): Promise<void> {
    if (!this.online) throw new AgentError('host-offline', 'host not connected (ESHUTDOWN)');
    if (!this.polling) {
      await new Promise((resolve) => setTimeout(resolve, HOST_OFFLINE_BOUND_MS - 15));
      throw new AgentError('host-offline', 'host not reading reports (EAGAIN)');
    }
    if (role === 'keyboard') {
      if (report.length !== KEYBOARD_REPORT_BYTES) throw new AgentError('bad-argument', `keyboard report of ${report.length} bytes`);
      const state = parseKeyboardReport(report);
      this.applyKeyboard(state.modifiers, state.keys);
    } else {
      if (report.length !== POINTER_REPORT_BYTES) throw new AgentError('bad-argument', `pointer report of ${report.length} bytes`);
      const state = parsePointerReport(report);
      const screen = this.screen();
      const x = logicalToScreen(state.x, screen.width);
      const y = logicalToScreen(state.y, screen.height);
      this.applyPointer({ x, y, buttons: state.buttons }, state.wheel);
    }
  }

  /** @internal */
  takeOutputReport(role: Role): Uint8Array | null {
    return role === 'keyboard' ? (this.keyboardOutput.shift() ?? null) : null;
  }

  private applyKeyboard(modifiers: number, keys: number[]): void {
    // ErrorRollOver (0x01) in every slot means "too many keys": the state is unchanged.
    if (keys.length > 0 && keys.every((k) => k === 0x01)) return;
    const releasedKeys = this.keys.filter((k) => !keys.includes(k));
    const releasedModifiers = MODIFIER_NAMES.filter(([bit]) => this.modifiers & bit && !(modifiers & bit));
    const addedModifiers = MODIFIER_NAMES.filter(([bit]) => modifiers & bit && !(this.modifiers & bit));
    const addedKeys = [...new Set(keys)].filter((k) => !this.keys.includes(k));
    for (const usage of releasedKeys) {
      this.keys = this.keys.filter((k) => k !== usage);
      this.emit({ kind: 'key-up', key: hostKey(usage).name });
    }
    for (const [bit, name] of releasedModifiers) {
      this.modifiers &= ~bit;
      this.emit({ kind: 'key-up', key: name });
    }
    for (const [bit, name] of addedModifiers) {
      this.modifiers |= bit;
      this.emit({ kind: 'key-down', key: name, held: this.heldNames() });
    }
    for (const usage of addedKeys) {
      this.keys.push(usage);
      this.emit({ kind: 'key-down', key: hostKey(usage).name, held: this.heldNames() });
      this.typeKey(usage);
    }
  }

  private typeKey(usage: number): void {
    switch (usage) {
      case HOST_USAGE.capsLock:
        return this.toggleLock('capsLock');
      case HOST_USAGE.numLock:
        return this.toggleLock('numLock');
      case HOST_USAGE.scrollLock:
        return this.toggleLock('scrollLock');
    }
    if (this.modifiers & SHORTCUT_MODIFIERS) return;
    if (usage === HOST_USAGE.enter || usage === HOST_USAGE.kpEnter) return this.appendText('\n');
    if (usage === HOST_USAGE.tab) return this.appendText('\t');
    if (usage === HOST_USAGE.backspace) {
      this.console = [...this.console].slice(0, -1).join('');
      return;
    }
    const key = hostKey(usage);
    if (key.plain === undefined) return;
    const shift = (this.modifiers & SHIFT_MODIFIERS) !== 0;
    const isLetter = /^[a-z]$/.test(key.plain);
    const upper = isLetter ? shift !== this.locks.capsLock : shift;
    this.appendText((upper ? key.shifted : key.plain) ?? key.plain);
  }

  private appendText(s: string): void {
    this.console += s;
    if (this.console.length > this.maxTextLength) this.console = this.console.slice(-this.maxTextLength);
  }

  private toggleLock(lock: 'numLock' | 'capsLock' | 'scrollLock'): void {
    this.locks[lock] = !this.locks[lock];
    this.sendLeds();
  }

  /** The host's SET_REPORT(Output) with the LED state, queued for the keyboard node's reader. */
  private sendLeds(): void {
    this.keyboardOutput.push(ledReport(this.locks));
    if (this.keyboardOutput.length > 64) this.keyboardOutput.shift();
    this.emit({ kind: 'leds', ...this.locks });
  }

  private applyPointer(next: { x: number; y: number; buttons: number }, wheel: number): void {
    const prev = this.pointerState;
    this.pointerState = { ...next };
    const { x, y } = next;
    if (prev.x !== x || prev.y !== y) this.emit({ kind: 'pointer-move', x, y });
    for (const [bit, button] of BUTTON_NAMES) {
      if (next.buttons & bit && !(prev.buttons & bit)) this.emit({ kind: 'button-down', button, x, y });
      if (prev.buttons & bit && !(next.buttons & bit)) {
        this.emit({ kind: 'button-up', button, x, y });
        this.emit({ kind: 'click', button, x, y });
      }
    }
    if (wheel !== 0) this.emit({ kind: 'wheel', delta: wheel, x, y });
  }

  private heldNames(): string[] {
    return [
      ...MODIFIER_NAMES.filter(([bit]) => this.modifiers & bit).map(([, name]) => name),
      ...this.keys.map((usage) => hostKey(usage).name),
    ];
  }

  private emit(event: UsbHostEvent): void {
    this.log.push(event);
    if (this.log.length > this.maxEvents) this.log.splice(0, this.log.length - this.maxEvents);
    for (const listener of this.listeners) listener(event);
  }
}

/** A simulated `/dev/hidgN`: writes are reports delivered to the virtual host. */
class SimHidDevice implements HidDevice {
  closed = false;

  constructor(
    private readonly host: VirtualUsbHost,
    private readonly role: Role,
    private readonly functionName: string,
  ) {}

  async write(report: Uint8Array): Promise<void> {
    if (this.closed) throw new AgentError('no-device', `${this.functionName} device is closed`);
    await this.host.accept(this.role, Uint8Array.from(report));
  }

  readOutputReport(): Uint8Array | null {
    return this.closed ? null : this.host.takeOutputReport(this.role);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
