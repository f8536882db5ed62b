/**
 * CaptureDevice over a real V4L2 node. The sequence follows the V4L2 streaming I/O rules
 * (Documentation/userspace-api/media/v4l/mmap.rst) and what ustreamer does on PiKVM: G_FMT →
 * REQBUFS → QUERYBUF + mmap → QBUF all → STREAMON; per frame poll(POLLIN) → DQBUF → read or copy
 * (the caller decides, `FrameTaker`) → QBUF.
 * Source changes arrive as V4L2_EVENT_SOURCE_CHANGE, waited for with poll(POLLPRI); vb2 reports
 * nothing but events when POLLIN is not requested (videobuf2-core.c `vb2_core_poll`), so that wait
 * does not spin when the device is not streaming.
 */
import { AgentError } from '../../errors';
import {
  type CaptureDevice,
  type CaptureFormat,
  type CaptureFrame,
  type CaptureFrameInfo,
  type FrameTaker,
  type SourceChange,
  type TimingsQuery,
  edidProblem,
} from '../capture-device';
import { V4L2_BUF_FLAG_ERROR, V4L2_EVENT_SOURCE_CHANGE } from './constants';
import { V4l2Device } from './device';
import { POLLERR, POLLIN, POLLPRI } from '../../platform/libc';
import type { BtTimings } from '../timings';
import { V4l2Error } from './v4l2-errors';

const EMPTY_FRAME_DATA: Buffer = Buffer.alloc(0);

export class V4l2CaptureDevice implements CaptureDevice {
  private format: CaptureFormat | undefined;
  /** USB grabbers (uvcvideo) have no source-change events; HDMI bridges (tc358743, vivid) do. */
  private hasSourceEvents = false;

  constructor(
    private readonly devicePath: string,
    private readonly device: V4l2Device = new V4l2Device(),
  ) {}

  get streaming(): boolean {
    return this.format !== undefined;
  }

  async open(): Promise<void> {
    this.device.open(this.devicePath);
    try {
      this.device.subscribeSourceChange();
      this.hasSourceEvents = true;
    } catch (e) {
      if (e instanceof V4l2Error && (e.errno === 'EINVAL' || e.errno === 'ENOTTY')) {
        this.hasSourceEvents = false;
      } else {
        this.device.close();
        throw e;
      }
    }
  }

  async close(): Promise<void> {
    if (this.streaming) await this.stopStreaming().catch(() => undefined);
    this.device.close();
  }

  async getEdid(): Promise<Buffer> {
    return this.device.getEdid();
  }

  async setEdid(edid: Buffer): Promise<void> {
    const problem = edidProblem(edid);
    if (problem !== undefined) throw new AgentError('bad-argument', problem);
    this.device.setEdid(edid);
  }

  async queryDvTimings(): Promise<TimingsQuery> {
    return this.device.queryDvTimings();
  }

  async getDvTimings(): Promise<BtTimings> {
    return this.device.getDvTimings();
  }

  /**
   * Applies the timings, then asks for a format of the same size: vivid updates its format by
   * itself, but a bridge behind a separate video node (TC358743 → unicam on the Pi) keeps the old
   * size until S_FMT, which is why ustreamer sets the format after S_DV_TIMINGS too.
   */
  async setDvTimings(timings: BtTimings): Promise<void> {
    this.device.setDvTimings(timings);
    if (!this.streaming) this.device.setFormat({ width: timings.width, height: timings.height });
  }

  async nextSourceChange(timeoutMs: number): Promise<SourceChange | null> {
    if (!this.hasSourceEvents) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      return null;
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.device.dequeueEvent();
      if (event !== null && event.type === V4L2_EVENT_SOURCE_CHANGE) return { changes: event.changes };
      if (event !== null) continue;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await this.device.poll(POLLPRI, remaining);
    }
  }

  async getFormat(): Promise<CaptureFormat> {
    return this.device.getFormat();
  }

  async setFormat(want: Partial<Pick<CaptureFormat, 'pixelformat' | 'width' | 'height'>>): Promise<CaptureFormat> {
    if (this.streaming) throw new AgentError('busy', 'cannot change the format while streaming');
    return this.device.setFormat(want);
  }

  async startStreaming(bufferCount = 4): Promise<void> {
    if (this.streaming) return;
    const format = this.device.getFormat();
    const granted = this.device.requestBuffers(bufferCount);
    try {
      for (let i = 0; i < granted; i++) this.device.queueBuffer(i);
      this.device.streamOn();
    } catch (e) {
      this.device.requestBuffers(0);
      throw e;
    }
    this.format = format;
  }

  async stopStreaming(): Promise<void> {
    if (!this.streaming) return;
    this.format = undefined;
    this.device.streamOff();
    this.device.requestBuffers(0);
  }

  async nextFrame(timeoutMs: number, take: FrameTaker = copyAll): Promise<CaptureFrame | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const format = this.format;
      if (format === undefined) throw new AgentError('bad-argument', 'not streaming');
      const buffer = this.device.dequeueBuffer();
      if (buffer !== null) {
        if (buffer.flags & V4L2_BUF_FLAG_ERROR || buffer.bytesused === 0) {
          this.device.queueBuffer(buffer.index);
          continue;
        }
        const info: CaptureFrameInfo = {
          width: format.width,
          height: format.height,
          pixelformat: format.pixelformat,
          bytesperline: format.bytesperline,
          sequence: buffer.sequence,
          timestamp: buffer.timestamp,
        };
        // The caller reads the mapping in place or has it copied; either way before the requeue,
        // after which the driver writes the next frame into the same memory.
        let data: Buffer = EMPTY_FRAME_DATA;
        try {
          if (take(this.device.lendBuffer(buffer.index, buffer.bytesused), info) === 'copy') {
            data = this.device.copyBuffer(buffer.index, buffer.bytesused);
          }
        } finally {
          this.device.queueBuffer(buffer.index);
        }
        return { ...info, data };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      const revents = await this.device.poll(POLLIN, remaining);
      if (revents & POLLERR && !(revents & POLLIN)) throw new AgentError('io', 'capture queue reported an error');
    }
  }
}

const copyAll: FrameTaker = () => 'copy';
