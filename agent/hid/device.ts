/**
 * One HID gadget function's device node (`/dev/hidgN`) as the agent sees it.
 *
 * Contract (both the real non-blocking implementation and the simulated one follow it):
 * - `write` sends one whole report. It never blocks a thread. When the host is not reading
 *   (EAGAIN past a short bounded retry, ESHUTDOWN, host not configured) it rejects with
 *   `AgentError('host-offline')` within 100 ms.
 * - `readOutputReport` returns one pending output report from the host (keyboard LEDs) or null;
 *   it never blocks.
 * - `close` releases the file descriptor; it is idempotent.
 */
export interface HidDevice {
  write(report: Uint8Array): Promise<void>;
  readOutputReport(): Uint8Array | null;
  close(): Promise<void>;
}

/** Opens the device node of a bound gadget's HID function (`hid.usb0` → `/dev/hidg0`). */
export interface HidDeviceOpener {
  open(functionName: string): Promise<HidDevice>;
}

/**
 * How long a report write may keep retrying a host that is not collecting reports (EAGAIN) before
 * it rejects with `host-offline` (the contract above).
 */
export const HOST_OFFLINE_BOUND_MS = 100;
