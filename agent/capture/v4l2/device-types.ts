/**
 * What V4l2Device reads from the driver, as plain objects, beyond the CaptureDevice types (format,
 * timings query) it shares with every capture device.
 */

export interface Capability {
  driver: string;
  card: string;
  busInfo: string;
  version: number;
  capabilities: number;
  deviceCaps: number;
}

export interface InputInfo {
  index: number;
  name: string;
  type: number;
  status: number;
  capabilities: number;
}

export interface V4l2Event {
  type: number;
  /** For V4L2_EVENT_SOURCE_CHANGE: `V4L2_EVENT_SRC_CH_*` bits. */
  changes: number;
  pending: number;
  sequence: number;
  id: number;
}

export interface DequeuedBuffer {
  index: number;
  bytesused: number;
  flags: number;
  sequence: number;
  /** Microseconds of the driver's clock (CLOCK_MONOTONIC for vb2 drivers). */
  timestamp: number;
}
