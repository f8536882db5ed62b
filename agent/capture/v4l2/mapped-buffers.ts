/**
 * The driver's capture buffers mapped into our address space (V4L2_MEMORY_MMAP). The driver reuses
 * the memory as soon as a buffer is queued again, so a frame is either read in place while it is
 * dequeued (`lend`: the converter reads the mapping directly, no copy) or copied out for exactly
 * `bytesused` bytes (`copy`: 1024×768 UYVY = 1.5 MiB; a Pi 4 copies on the order of 1–2 GB/s).
 */
import { AgentError } from '../../errors';
import { type Libc, MAP_SHARED, type Pointer, PROT_READ, PROT_WRITE } from '../../platform/libc';
import { V4l2Error } from './v4l2-errors';

interface Mapping {
  pointer: Pointer;
  length: number;
  view: Uint8Array;
}

export class MappedBuffers {
  private readonly mappings: Mapping[] = [];

  constructor(private readonly libc: Pick<Libc, 'mmap' | 'munmap' | 'view'>) {}

  get count(): number {
    return this.mappings.length;
  }

  map(fd: number, offset: number, length: number): void {
    const r = this.libc.mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    if (!r.ok) throw new V4l2Error(r.errno, 'mmap');
    this.mappings.push({ pointer: r.pointer, length, view: this.libc.view(r.pointer, length) });
  }

  /** A copy of the first `bytesused` bytes of buffer `index`. */
  copy(index: number, bytesused: number): Buffer {
    return Buffer.from(this.mapping(index, bytesused).view.subarray(0, bytesused));
  }

  private mapping(index: number, bytesused: number): Mapping {
    const m = this.mappings[index];
    if (m === undefined) throw new AgentError('internal', `no mapped buffer ${index}`);
    if (bytesused > m.length) throw new AgentError('io', `buffer ${index}: bytesused ${bytesused} > length ${m.length}`);
    return m;
  }

  /**
   * A Buffer over the first `bytesused` bytes of the mapping, for use before the buffer is queued
   * again; after that (and after `unmapAll`) reading it would show another frame or fault.
   */
  lend(index: number, bytesused: number): Buffer {
    const m = this.mapping(index, bytesused);
    return Buffer.from(m.view.buffer, m.view.byteOffset, bytesused);
  }

  /** Unmaps everything; views become invalid, so they are dropped first. */
  unmapAll(): void {
    for (const m of this.mappings.splice(0)) this.libc.munmap(m.pointer, m.length);
  }
}
