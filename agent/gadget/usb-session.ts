/**
 * The USB side of the agent while it holds the gadget: the configfs gadget, its HID device nodes
 * and its mass-storage LUNs, kept consistent across a replug.
 *
 * `/dev/hidgN` exists only while the gadget is bound (kernel.md), so the devices are opened after
 * bind and closed before unbind; a `reconnect` reopens them. If the gadget cannot be built (no UDC
 * yet, another gadget still bound, …) the session stays down and says why; the next command that
 * needs it tries again (`ensureUp`), so a daemon started before the hardware is ready recovers.
 */
import { describe } from '../errors';
import type { Gadget, GadgetStatus, TeardownResult } from './gadget';
import { KEYBOARD_FUNCTION, POINTER_FUNCTION } from './spec';
import type { LunStatus, MassStorage } from './storage';
import type { HidDevice, HidDeviceOpener } from '../hid/device';
import type { Logger } from '../log';

export interface UsbSessionDeps {
  gadget: Gadget;
  storage: MassStorage;
  opener: HidDeviceOpener;
  logger: Logger;
}

export interface UsbSessionStatus {
  up: boolean;
  /** why the last start failed, while the session is down */
  error: string | null;
  gadget: GadgetStatus;
}

export class UsbSession {
  private keyboardDevice: HidDevice | null = null;
  private pointerDevice: HidDevice | null = null;
  private up = false;
  private lastError: string | null = null;

  constructor(private readonly deps: UsbSessionDeps) {}

  /** Build and bind the gadget and open its HID devices. Idempotent. */
  async start(): Promise<void> {
    if (this.up) return;
    try {
      await this.deps.gadget.start();
      await this.openDevices();
      this.up = true;
      this.lastError = null;
    } catch (e) {
      this.lastError = describe(e);
      await this.closeDevices();
      throw e;
    }
  }

  /** Start if not up; throws the reason when it cannot be. */
  async ensureUp(): Promise<void> {
    if (!this.up) await this.start();
  }

  /** Eject every medium, close the devices and tear the gadget down. */
  async stop(): Promise<TeardownResult> {
    this.up = false;
    await this.ejectAll();
    await this.closeDevices();
    try {
      return await this.deps.gadget.stop();
    } finally {
      await this.deps.storage.releaseAll(); // a medium that would not eject went with the gadget
    }
  }

  /** A USB replug (unbind, relink, rebind) with the device nodes reopened. */
  async reconnect(): Promise<void> {
    await this.ensureUp();
    await this.closeDevices();
    try {
      await this.deps.gadget.reconnect();
    } finally {
      await this.openDevices().catch((e) => {
        this.up = false;
        this.lastError = describe(e);
        throw e;
      });
    }
  }

  keyboard(): HidDevice | null {
    return this.keyboardDevice;
  }

  pointer(): HidDevice | null {
    return this.pointerDevice;
  }

  isUp(): boolean {
    return this.up;
  }

  async isHostOnline(): Promise<boolean> {
    return this.up && (await this.deps.gadget.isHostOnline());
  }

  async status(): Promise<UsbSessionStatus> {
    return { up: this.up, error: this.lastError, gadget: await this.deps.gadget.status() };
  }

  async storageStatus(): Promise<LunStatus[]> {
    return this.up ? this.deps.storage.status() : [];
  }

  private async openDevices(): Promise<void> {
    this.keyboardDevice = await this.deps.opener.open(KEYBOARD_FUNCTION);
    this.pointerDevice = await this.deps.opener.open(POINTER_FUNCTION);
  }

  private async closeDevices(): Promise<void> {
    const devices = [this.keyboardDevice, this.pointerDevice];
    this.keyboardDevice = null;
    this.pointerDevice = null;
    for (const d of devices) await d?.close().catch(() => undefined);
  }

  private async ejectAll(): Promise<void> {
    let luns;
    try {
      luns = await this.deps.storage.status();
    } catch {
      return; // no gadget, nothing attached
    }
    for (const lun of luns) {
      if (lun.file === null) continue;
      await this.deps.storage.eject(lun.lun).catch((e) => this.deps.logger.warn('eject at stop failed', { lun: lun.lun, error: describe(e) }));
    }
  }
}
