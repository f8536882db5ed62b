/**
 * The narrow view of an HDMI capture device the rest of the video stack uses. One real
 * implementation (V4L2, agent/capture/v4l2/v4l2-capture.ts) and one fake (test/doubles/fake-capture.ts) pass the
 * same contract suite (test/contract/capture-device.ts). The types it speaks are defined here and in
 * timings.ts, never in an implementation.
 *
 * Signal conditions are states, not exceptions: `queryDvTimings()` says `no-signal`, `no-sync`,
 * `out-of-range`. Everything else fails with an AgentError (`busy` for S_DV_TIMINGS while
 * streaming, `bad-argument` for an EDID that is not whole 128-byte blocks with valid checksums,
 * `no-device` when the node is gone).
 */
import type { BtTimings } from './timings';

export type { BtTimings } from './timings';

/**
 * What the receiver says of its input. The HDMI receiver reports it through errno of
 * VIDIOC_QUERY_DV_TIMINGS (see v4l2/v4l2-errors.ts): ENOLINK no signal, ENOLCK no sync, ERANGE out
 * of range; `busy` and `no-device` come from the node itself.
 */
export type SignalState = 'online' | 'no-signal' | 'no-sync' | 'out-of-range' | 'no-device' | 'busy';

export type TimingsQuery = { state: 'online'; timings: BtTimings } | { state: Exclude<SignalState, 'online'> };

export interface CaptureFormat {
  /** fourcc text: `UYVY`, `RGB3`, `YUYV`, `MJPG`, … */
  pixelformat: string;
  width: number;
  height: number;
  bytesperline: number;
  sizeimage: number;
}

/** What the driver says of a dequeued buffer. */
export interface CaptureFrameInfo {
  width: number;
  height: number;
  pixelformat: string;
  bytesperline: number;
  /** The driver's frame counter (gaps mean dropped frames). */
  sequence: number;
  /** Capture time in microseconds of the driver's monotonic clock. */
  timestamp: number;
}

export interface CaptureFrame extends CaptureFrameInfo {
  /** The pixels, copied out of the driver's buffer; empty when the caller used them in place or skipped them. */
  data: Buffer;
}

/**
 * What to do with a dequeued buffer while the driver lends it: `pixels` is a view of the driver's
 * buffer (exactly `bytesused` long), valid only during this synchronous call, because the buffer is
 * queued again right after it. Read it here and answer `used` (no copy is made), answer `copy` to
 * get the pixels in the frame's `data`, or `skip` to give the buffer back untouched.
 */
export type FrameTaker = (pixels: Buffer, info: CaptureFrameInfo) => 'used' | 'copy' | 'skip';

export interface SourceChange {
  /** `V4L2_EVENT_SRC_CH_RESOLUTION` (1) when the resolution changed. */
  changes: number;
}

export interface CaptureDevice {
  /** Opens the node and subscribes to source-change events. */
  open(): Promise<void>;
  /** Stops streaming, releases buffers and the node; idempotent. */
  close(): Promise<void>;

  /** The EDID presented to the source (whole 128-byte blocks; empty when cleared). */
  getEdid(): Promise<Buffer>;
  /** Replaces the EDID; an empty Buffer clears it (the source then sees no monitor). */
  setEdid(edid: Buffer): Promise<void>;

  /** What the source sends now. */
  queryDvTimings(): Promise<TimingsQuery>;
  /** The timings the receiver is set to. */
  getDvTimings(): Promise<BtTimings>;
  /** Sets the receiver's timings; `busy` while streaming. The format follows the new size. */
  setDvTimings(timings: BtTimings): Promise<void>;

  /** Resolves with the next source change, or null after `timeoutMs`. */
  nextSourceChange(timeoutMs: number): Promise<SourceChange | null>;

  getFormat(): Promise<CaptureFormat>;
  setFormat(want: Partial<Pick<CaptureFormat, 'pixelformat' | 'width' | 'height'>>): Promise<CaptureFormat>;

  /** Allocates buffers and starts capture at the current format. */
  startStreaming(bufferCount?: number): Promise<void>;
  /** Stops capture and frees buffers; idempotent. */
  stopStreaming(): Promise<void>;
  readonly streaming: boolean;
  /**
   * The next captured frame, or null after `timeoutMs` without one (0: only a buffer already
   * filled). `take` is asked once per dequeued buffer (default: copy). A 60 fps source delivered
   * at 2 fps is then read twice a second, and never copied when the caller converts in place.
   */
  nextFrame(timeoutMs: number, take?: FrameTaker): Promise<CaptureFrame | null>;
}

/** The EDID rule both implementations enforce before touching the receiver. */
export function edidProblem(edid: Buffer): string | undefined {
  if (edid.length % 128 !== 0) return `EDID length ${edid.length} is not a multiple of 128`;
  for (let block = 0; block < edid.length / 128; block++) {
    let sum = 0;
    for (let i = block * 128; i < (block + 1) * 128; i++) sum += edid[i]!;
    if (sum % 256 !== 0) return `EDID block ${block} checksum is wrong (sum ${sum % 256} mod 256)`;
  }
  return undefined;
}
