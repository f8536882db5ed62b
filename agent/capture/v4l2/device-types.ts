/** What V4l2Device reads from the driver, as plain objects. */
import type { BtTimings, SignalState } from '../capture-device';

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

export interface PixFormat {
  /** fourcc as text, e.g. `UYVY`, `RGB3`, `YUYV`, `MJPG`. */
  pixelformat: string;
  width: number;
  height: number;
  bytesperline: number;
  sizeimage: number;
}

export type DvTimingsQuery = { state: 'online'; timings: BtTimings } | { state: Exclude<SignalState, 'online'> };

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
