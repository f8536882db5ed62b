/**
 * The device-guard policy: a control command that uses the devices first makes sure they are
 * there. With hand-off the lease takes them from kvmd (or keeps holding them, which restarts its
 * idle clock); then the USB gadget is built if it is not up yet (a daemon started before the UDC
 * appeared recovers on the next key). Queries (`storage status`) and `release-keys` do not take
 * anything.
 */
import type { GadgetPort, InputPort, StoragePort } from './control/dispatcher';
import type { MassStorage } from './gadget/storage';
import type { UsbSession } from './gadget/usb-session';
import type { Lease } from './handoff/lease';
import type { HidService } from './hid/service';

export interface DeviceGuardDeps {
  lease: Pick<Lease, 'ensure'> | null;
  session: Pick<UsbSession, 'ensureUp' | 'reconnect' | 'storageStatus'>;
}

export class DeviceGuard {
  constructor(private readonly deps: DeviceGuardDeps) {}

  /** The devices are taken from kvmd (the lease) and the gadget is up, or this throws why not. */
  async devicesUp(): Promise<void> {
    if (this.deps.lease) await this.deps.lease.ensure('control');
    await this.deps.session.ensureUp();
  }

  input(hid: HidService): InputPort {
    const up = () => this.devicesUp();
    return {
      key: async (combo) => (await up(), hid.key(combo)),
      typeText: async (text) => (await up(), hid.typeText(text)),
      pointerMove: async (x, y, space) => (await up(), hid.pointerMove(x, y, space)),
      pointerButtons: async (mask) => (await up(), hid.pointerButtons(mask)),
      wheel: async (delta) => (await up(), hid.wheel(delta)),
      releaseAll: () => hid.releaseAll(),
    };
  }

  gadget(): GadgetPort {
    return { reconnect: async () => (await this.devicesUp(), this.deps.session.reconnect()) };
  }

  storage(storage: Pick<MassStorage, 'attach' | 'eject'>): StoragePort {
    return {
      attach: async (lun, file, flags) => {
        await this.devicesUp();
        await storage.attach(lun, file, flags);
      },
      eject: async (lun) => {
        await this.devicesUp();
        await storage.eject(lun);
      },
      status: () => this.deps.session.storageStatus(),
    };
  }
}
