/**
 * The host side of the HID functions, read with node-hid's hidraw backend: a collector that keeps
 * every input report the host's usbhid delivers, so tests compare what the host saw.
 */
import * as HID from 'node-hid';
import { waitFor } from './kernel-env';

HID.setDriverType('hidraw');

export class HostHidReader {
  readonly reports: number[][] = [];
  private running = true;
  private loop: Promise<void>;

  private constructor(private readonly device: HID.HIDAsync) {
    // A read loop on node-hid's worker thread: /dev/hidrawN buffers only 64 reports, so the host
    // side must keep reading while the agent types.
    this.loop = (async () => {
      while (this.running) {
        const data = await this.device.read(50).catch(() => undefined);
        if (data && data.length > 0) this.reports.push([...data]);
      }
    })();
  }

  static async open(hidraw: string): Promise<HostHidReader> {
    return new HostHidReader(await HID.HIDAsync.open(hidraw));
  }

  /** Sends an output report (keyboard LEDs) from the host; report id 0 = unnumbered. */
  async sendOutput(bytes: number[]): Promise<void> {
    await this.device.write([0x00, ...bytes]);
  }

  /** Waits until `count` reports have arrived since `from`, returns them. */
  async next(from: number, count: number, what: string): Promise<number[][]> {
    await waitFor(what, async () => (this.reports.length >= from + count ? true : undefined), 10_000);
    return this.reports.slice(from, from + count);
  }

  /** Waits for the first report at or after `from` that satisfies `done`; returns all up to it. */
  async until(from: number, done: (r: number[]) => boolean, what: string): Promise<number[][]> {
    const end = await waitFor(what, async () => {
      const i = this.reports.findIndex((r, idx) => idx >= from && done(r));
      return i >= 0 ? i : undefined;
    }, 10_000);
    return this.reports.slice(from, end + 1);
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.device.close();
  }
}

export const isZero = (r: readonly number[]): boolean => r.every((b) => b === 0);
export const hex = (r: readonly number[]): string => r.map((b) => b.toString(16).padStart(2, '0')).join(' ');
