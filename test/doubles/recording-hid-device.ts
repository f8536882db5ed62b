/**
 * A `HidDevice` that keeps every report written to it with a time stamp: for tests and for the
 * input benchmark (reports per second, spacing). Output reports (LEDs) can be queued as if a host
 * sent them, and failures can be injected per write. It follows the HidDevice contract
 * (test/contract/hid-device.ts) so that what a test sees through it holds for the real node.
 */
import { performance } from 'node:perf_hooks';
import { AgentError } from '../../agent/errors';
import type { HidDevice } from '../../agent/hid/device';

export interface RecordedReport {
  /** `performance.now()` (ms) when the write was accepted. */
  at: number;
  bytes: Uint8Array;
}

/** Decides the fate of write number `index` (0-based, counting attempts): an error to throw, or undefined. */
export type WriteFault = (report: Uint8Array, index: number) => Error | undefined;

export class RecordingHidDevice implements HidDevice {
  readonly writes: RecordedReport[] = [];
  private readonly pendingOutput: Uint8Array[] = [];
  private attempts = 0;
  private fault: WriteFault | undefined;
  private closed = false;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Make later writes fail as `fault` decides (undefined: never). */
  failWrites(fault: WriteFault | undefined): void {
    this.fault = fault;
  }

  /** Queue an output report as if the host had sent it. */
  pushOutputReport(report: Uint8Array): void {
    this.pendingOutput.push(Uint8Array.from(report));
  }

  /** The written reports' bytes, as plain arrays (handy for deep equality). */
  reports(): number[][] {
    return this.writes.map((w) => [...w.bytes]);
  }

  isClosed(): boolean {
    return this.closed;
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.closed) throw new AgentError('no-device', 'recording HID device is closed');
    const index = this.attempts++;
    const error = this.fault?.(report, index);
    if (error) throw error;
    this.writes.push({ at: this.clock(), bytes: Uint8Array.from(report) });
  }

  readOutputReport(): Uint8Array | null {
    if (this.closed) return null;
    return this.pendingOutput.shift() ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
