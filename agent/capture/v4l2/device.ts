/**
 * One open V4L2 capture node, driven in-process through libc (koffi): capabilities, inputs, EDID,
 * DV timings, source-change events, format and mmap streaming. Every ioctl is non-blocking (the fd
 * is opened O_NONBLOCK); the only wait, `poll()`, runs on a koffi worker thread with a bounded
 * timeout, so the event loop never stalls. errno is translated here, once (see v4l2-errors.ts).
 */
import { AgentError } from '../../errors';
import { type Abi, type StructName, abiForArch } from './abi';
import {
  V4L2_BUF_TYPE_VIDEO_CAPTURE,
  V4L2_EVENT_SOURCE_CHANGE,
  V4L2_FIELD_ANY,
  V4L2_MEMORY_MMAP,
  fourcc,
  fourccName,
} from './constants';
import { type IoctlName, type IoctlTable, ioctlNumbers } from './ioctl-numbers';
import { type Libc, O_CLOEXEC, O_NONBLOCK, O_RDWR, systemLibc } from '../../platform/libc';
import { MappedBuffers } from './mapped-buffers';
import { StructBuffer } from './struct-buffer';
import type { BtTimings } from '../timings';
import { decodeDvTimings, encodeDvTimings } from './dv-timings';
import type { CaptureFormat, TimingsQuery } from '../capture-device';
import type { Capability, DequeuedBuffer, InputInfo, V4l2Event } from './device-types';
import { V4l2Error } from './v4l2-errors';

export type { Capability, DequeuedBuffer, InputInfo, V4l2Event } from './device-types';

/** The libc calls a V4L2 node needs. */
export type V4l2Libc = Pick<Libc, 'open' | 'close' | 'ioctl' | 'mmap' | 'munmap' | 'pollAsync' | 'view' | 'addressOf'>;

export interface V4l2DeviceDeps {
  libc?: V4l2Libc;
  abi?: Abi;
}

export class V4l2Device {
  private fd = -1;
  private libcBound: V4l2Libc | undefined;
  private buffersBound: MappedBuffers | undefined;
  private readonly abi: Abi;
  private readonly ioctls: IoctlTable;

  /** Stores dependencies only; libc is loaded on first use. An unknown CPU fails here, clearly. */
  constructor(private readonly deps: V4l2DeviceDeps = {}) {
    this.abi = deps.abi ?? abiForArch();
    this.ioctls = ioctlNumbers(this.abi);
  }

  private get libc(): V4l2Libc {
    this.libcBound ??= this.deps.libc ?? systemLibc();
    return this.libcBound;
  }

  private get buffers(): MappedBuffers {
    this.buffersBound ??= new MappedBuffers(this.libc);
    return this.buffersBound;
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  open(path: string): void {
    if (this.isOpen) throw new AgentError('busy', `V4L2 device already open`);
    const r = this.libc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (!r.ok) throw new V4l2Error(r.errno, `open ${path}`);
    this.fd = r.value;
  }

  /** Unmaps buffers and closes the fd; safe to call twice. Closing also stops streaming. */
  close(): void {
    this.buffersBound?.unmapAll();
    if (this.fd >= 0) this.libc.close(this.fd);
    this.fd = -1;
  }

  private call(name: IoctlName, arg: Buffer): void {
    if (!this.isOpen) throw new AgentError('no-device', `${name}: V4L2 device is not open`);
    const r = this.libc.ioctl(this.fd, this.ioctls[name], arg);
    if (!r.ok) throw new V4l2Error(r.errno, name);
  }

  /** Like `call`, but `nothingErrno` means "nothing there yet" (false) instead of an error. */
  private callUnless(name: IoctlName, arg: Buffer, nothingErrno: string): boolean {
    try {
      this.call(name, arg);
      return true;
    } catch (e) {
      if (e instanceof V4l2Error && e.errno === nothingErrno) return false;
      throw e;
    }
  }

  private struct(name: StructName): StructBuffer {
    return new StructBuffer(this.abi, name);
  }

  private int(value: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    return b;
  }

  queryCap(): Capability {
    const s = this.struct('v4l2_capability');
    this.call('VIDIOC_QUERYCAP', s.bytes);
    return {
      driver: s.getString('driver'),
      card: s.getString('card'),
      busInfo: s.getString('bus_info'),
      version: s.get('version'),
      capabilities: s.get('capabilities'),
      deviceCaps: s.get('device_caps'),
    };
  }

  /** VIDIOC_ENUMINPUT from index 0 until EINVAL (the end of the list). */
  enumInputs(): InputInfo[] {
    const inputs: InputInfo[] = [];
    for (let index = 0; index < 64; index++) {
      const s = this.struct('v4l2_input').set('index', index);
      try {
        this.call('VIDIOC_ENUMINPUT', s.bytes);
      } catch (e) {
        if (e instanceof V4l2Error && e.errno === 'EINVAL') break;
        throw e;
      }
      inputs.push({
        index,
        name: s.getString('name'),
        type: s.get('type'),
        status: s.get('status'),
        capabilities: s.get('capabilities'),
      });
    }
    return inputs;
  }

  getInput(): number {
    const b = this.int(0);
    this.call('VIDIOC_G_INPUT', b);
    return b.readInt32LE(0);
  }

  setInput(index: number): void {
    this.call('VIDIOC_S_INPUT', this.int(index));
  }

  /**
   * The EDID of `pad` (the input index on a video node). Asking with `blocks = 0` makes the driver
   * report how many blocks it holds (Documentation/userspace-api/media/v4l/vidioc-g-edid.rst); a
   * receiver without EDID reports 0 or fails with ENODATA — both give an empty Buffer.
   */
  getEdid(pad = 0): Buffer {
    const count = this.struct('v4l2_edid').set('pad', pad);
    this.call('VIDIOC_G_EDID', count.bytes);
    const blocks = count.get('blocks');
    if (blocks === 0) return Buffer.alloc(0);
    const data = Buffer.alloc(blocks * 128);
    const s = this.struct('v4l2_edid').set('pad', pad).set('blocks', blocks).set('edid', this.libc.addressOf(data));
    try {
      this.call('VIDIOC_G_EDID', s.bytes);
    } catch (e) {
      if (e instanceof V4l2Error && e.errno === 'ENODATA') return Buffer.alloc(0);
      throw e;
    }
    return data.subarray(0, s.get('blocks') * 128);
  }

  /** Replaces the EDID; an empty Buffer clears it (the source then sees no monitor). */
  setEdid(edid: Buffer, pad = 0): void {
    if (edid.length % 128 !== 0) throw new AgentError('bad-argument', `EDID length ${edid.length} is not a multiple of 128`);
    const data = Buffer.from(edid); // the kernel reads through the pointer: keep a private copy alive
    const s = this.struct('v4l2_edid').set('pad', pad).set('blocks', data.length / 128);
    if (data.length > 0) s.set('edid', this.libc.addressOf(data));
    this.call('VIDIOC_S_EDID', s.bytes);
  }

  /** What the source sends now; the signal conditions come back as states, not errors. */
  queryDvTimings(): TimingsQuery {
    const s = this.struct('v4l2_dv_timings');
    try {
      this.call('VIDIOC_QUERY_DV_TIMINGS', s.bytes);
    } catch (e) {
      if (e instanceof V4l2Error && e.state !== undefined) return { state: e.state };
      throw e;
    }
    return { state: 'online', timings: decodeDvTimings(s) };
  }

  getDvTimings(): BtTimings {
    const s = this.struct('v4l2_dv_timings');
    this.call('VIDIOC_G_DV_TIMINGS', s.bytes);
    return decodeDvTimings(s);
  }

  /** Applies timings (EBUSY while streaming: stop, apply, renegotiate buffers, restart). */
  setDvTimings(timings: BtTimings): void {
    this.call('VIDIOC_S_DV_TIMINGS', encodeDvTimings(this.abi, timings).bytes);
  }

  subscribeSourceChange(): void {
    const s = this.struct('v4l2_event_subscription').set('type', V4L2_EVENT_SOURCE_CHANGE);
    this.call('VIDIOC_SUBSCRIBE_EVENT', s.bytes);
  }

  /** The next pending event, or null when none is pending (ENOENT from VIDIOC_DQEVENT). */
  dequeueEvent(): V4l2Event | null {
    const s = this.struct('v4l2_event');
    if (!this.callUnless('VIDIOC_DQEVENT', s.bytes, 'ENOENT')) return null;
    return {
      type: s.get('type'),
      changes: s.get('u.src_change.changes'),
      pending: s.get('pending'),
      sequence: s.get('sequence'),
      id: s.get('id'),
    };
  }

  getFormat(): CaptureFormat {
    const s = this.struct('v4l2_format').set('type', V4L2_BUF_TYPE_VIDEO_CAPTURE);
    this.call('VIDIOC_G_FMT', s.bytes);
    return readPixFormat(s);
  }

  /** Asks for a format; the driver adjusts what it cannot do, and the result says what it chose. */
  setFormat(want: Partial<Pick<CaptureFormat, 'pixelformat' | 'width' | 'height'>>): CaptureFormat {
    const current = this.getFormat();
    const s = this.struct('v4l2_format')
      .set('type', V4L2_BUF_TYPE_VIDEO_CAPTURE)
      .set('fmt.pix.width', want.width ?? current.width)
      .set('fmt.pix.height', want.height ?? current.height)
      .set('fmt.pix.pixelformat', fourcc(want.pixelformat ?? current.pixelformat))
      .set('fmt.pix.field', V4L2_FIELD_ANY);
    this.call('VIDIOC_S_FMT', s.bytes);
    return readPixFormat(s);
  }

  /**
   * Asks for `count` mmap buffers and maps each (VIDIOC_QUERYBUF for its offset and length). The
   * driver may grant a different number; that number is returned. `count = 0` frees them.
   */
  requestBuffers(count: number): number {
    this.buffers.unmapAll();
    const s = this.struct('v4l2_requestbuffers')
      .set('count', count)
      .set('type', V4L2_BUF_TYPE_VIDEO_CAPTURE)
      .set('memory', V4L2_MEMORY_MMAP);
    this.call('VIDIOC_REQBUFS', s.bytes);
    const granted = s.get('count');
    for (let index = 0; index < granted; index++) {
      const b = this.queryBuffer(index);
      this.buffers.map(this.fd, b.offset, b.length);
    }
    return granted;
  }

  queryBuffer(index: number): { index: number; offset: number; length: number } {
    const s = this.bufferStruct(index);
    this.call('VIDIOC_QUERYBUF', s.bytes);
    return { index, offset: s.get('m.offset'), length: s.get('length') };
  }

  queueBuffer(index: number): void {
    this.call('VIDIOC_QBUF', this.bufferStruct(index).bytes);
  }

  /** A filled buffer, or null when none is ready yet (EAGAIN on the non-blocking fd). */
  dequeueBuffer(): DequeuedBuffer | null {
    const s = this.bufferStruct(0);
    if (!this.callUnless('VIDIOC_DQBUF', s.bytes, 'EAGAIN')) return null;
    return {
      index: s.get('index'),
      bytesused: s.get('bytesused'),
      flags: s.get('flags'),
      sequence: s.get('sequence'),
      timestamp: s.get('timestamp.tv_sec') * 1_000_000 + s.get('timestamp.tv_usec'),
    };
  }

  /** A copy of a dequeued buffer's bytes (see mapped-buffers.ts for the cost). */
  copyBuffer(index: number, bytesused: number): Buffer {
    return this.buffers.copy(index, bytesused);
  }

  /** The mapped buffer itself, valid until it is queued again (see MappedBuffers.lend). */
  lendBuffer(index: number, bytesused: number): Buffer {
    return this.buffers.lend(index, bytesused);
  }

  streamOn(): void {
    this.call('VIDIOC_STREAMON', this.int(V4L2_BUF_TYPE_VIDEO_CAPTURE));
  }

  streamOff(): void {
    this.call('VIDIOC_STREAMOFF', this.int(V4L2_BUF_TYPE_VIDEO_CAPTURE));
  }

  /** Sets a control (VIDIOC_S_CTRL), e.g. a driver's private control by id. */
  setControl(id: number, value: number): void {
    this.call('VIDIOC_S_CTRL', this.struct('v4l2_control').set('id', id).set('value', value).bytes);
  }

  /**
   * Waits up to `timeoutMs` for `events` (POLLIN: a frame is ready, POLLPRI: an event is pending) on
   * a worker thread; returns the `revents` bits, 0 on timeout.
   */
  async poll(events: number, timeoutMs: number): Promise<number> {
    if (!this.isOpen) throw new AgentError('no-device', 'poll: V4L2 device is not open');
    const pfd = this.struct('pollfd').set('fd', this.fd).set('events', events);
    const r = await this.libc.pollAsync(pfd.bytes, 1, Math.max(0, Math.floor(timeoutMs)));
    if (!r.ok) {
      if (r.errno === 'EINTR') return 0;
      throw new V4l2Error(r.errno, 'poll');
    }
    return r.value === 0 ? 0 : pfd.get('revents') & 0xffff;
  }

  private bufferStruct(index: number): StructBuffer {
    return this.struct('v4l2_buffer')
      .set('index', index)
      .set('type', V4L2_BUF_TYPE_VIDEO_CAPTURE)
      .set('memory', V4L2_MEMORY_MMAP);
  }
}

function readPixFormat(s: StructBuffer): CaptureFormat {
  return {
    pixelformat: fourccName(s.get('fmt.pix.pixelformat')),
    width: s.get('fmt.pix.width'),
    height: s.get('fmt.pix.height'),
    bytesperline: s.get('fmt.pix.bytesperline'),
    sizeimage: s.get('fmt.pix.sizeimage'),
  };
}
