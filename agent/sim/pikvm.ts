/**
 * The simulated PiKVM: what `pikvm-agent serve --simulate` runs on a machine without PiKVM
 * hardware, and what the integration and end-to-end tests drive. It is the real daemon over
 * simulated hardware:
 * - a kernel model (`SimKernel`): configfs with the kernel's rules, a virtual UDC `dummy_udc.0`
 *   and its sysfs state;
 * - a virtual USB host with a virtual SUT behind it (`VirtualUsbHost`): it enumerates the gadget
 *   when it is bound, consumes the HID reports like a real host and keeps the SUT's text console,
 *   pointer and LEDs;
 * - the media the SUT sees, read from the kernel model's LUN state.
 */
import type { SimPort } from '../control/dispatcher';
import type { HidDeviceOpener } from '../hid/device';
import { type BoundFunction, SimKernel } from './kernel';
import { VirtualSut } from './sut';
import { VirtualUsbHost } from './usbhost';

export interface SimulatedPikvmOptions {
  screen: { width: number; height: number };
  udc?: string;
}

export class SimulatedPikvm {
  readonly kernel: SimKernel;
  readonly host: VirtualUsbHost;
  readonly sut: VirtualSut;
  /** Whether the virtual host's cable is plugged in (`sim host online|offline`). */
  private cablePlugged = true;
  /** Bound gadgets and their functions, as the host enumerated them. */
  private readonly boundGadgets = new Map<string, BoundFunction[]>();

  constructor(options: SimulatedPikvmOptions) {
    this.kernel = new SimKernel({ udcs: [options.udc ?? 'dummy_udc.0'] });
    // The host maps the pointer onto the SUT's screen, whatever mode the SUT is in now.
    this.host = new VirtualUsbHost({ screen: () => this.sut.mode(), online: false });
    this.sut = new VirtualSut({ host: this.host, media: () => this.media(), screen: options.screen });
    // The host enumerates a gadget when it is bound and loses it when it is unbound.
    this.kernel.on('bound', (name, functions) => {
      this.boundGadgets.set(name, functions);
      this.syncHost();
    });
    this.kernel.on('unbound', (name) => {
      this.boundGadgets.delete(name);
      this.syncHost();
    });
  }

  /** Opens the HID functions' device nodes: writes land in the virtual host. */
  readonly opener: HidDeviceOpener = {
    open: async (functionName) => this.host.hidDevice(functionName),
  };

  start(): void {
    this.sut.start();
  }

  stop(): void {
    this.sut.stop();
  }

  setHostOnline(online: boolean): void {
    this.cablePlugged = online;
    this.syncHost();
  }

  /** A powered-off SUT does not enumerate USB devices: the UDC reads `not attached`. */
  setPower(on: boolean): void {
    this.sut.setPower(on);
    this.syncHost();
  }

  /** The media attached to the LUNs of every bound gadget, as the SUT sees them. */
  media(): Array<{ lun: number; file: string; cdrom: boolean; readOnly: boolean }> {
    const out = [];
    for (const [gadget, functions] of this.boundGadgets) {
      for (const fn of functions) {
        if (fn.type !== 'mass_storage') continue;
        for (const lun of fn.luns) {
          const state = this.kernel.lun(gadget, fn.name, lun);
          if (state?.file) out.push({ lun, file: state.file, cdrom: state.cdrom, readOnly: state.ro });
        }
      }
    }
    return out;
  }

  /** The `sim …` command group of the control protocol. */
  simPort(): SimPort {
    return {
      text: () => this.host.text(),
      pointer: () => this.host.pointer(),
      events: () => this.host.events(),
      clear: () => this.host.clear(),
      setHostOnline: (online) => this.setHostOnline(online),
      power: (on) => {
        if (on !== null) this.setPower(on);
        return this.sut.isPowered();
      },
      setMode: (width, height) => this.sut.setMode(width, height),
      sut: () => this.sut.status(),
    };
  }

  private syncHost(): void {
    const hostUp = this.cablePlugged && this.sut.isPowered();
    this.kernel.setHostOnline(hostUp);
    this.host.setOnline(hostUp && this.boundGadgets.size > 0);
  }
}
