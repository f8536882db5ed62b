/**
 * Turns a captured buffer into a published RGB24 frame with no allocation per frame: the driver's
 * buffer is copied once into staging memory kept from frame to frame, and converted into an RGB
 * buffer from a pool that gets it back when the hub and the clients are done (rgb-pool.ts).
 *
 * Not converted in place: on the Pi the capture buffers are DMA-coherent memory, which the kernel
 * maps uncached into user space on a non-coherent ARM SoC (kernel/dma/mapping.c `dma_pgprot`,
 * used by vb2-dma-contig's mmap), so the converter's reads would each go to DRAM; one sequential
 * copy reads the buffer once at full width.
 */
import { AgentError } from '../../errors';
import { type RgbImage, convertRawToRgb24, toRgb24 } from '../convert';
import type { CaptureFrameInfo } from '../../capture/capture-device';
import { type Frame, frameByteLength } from '../frame';
import { RgbBufferPool } from '../rgb-pool';
import { FOURCC_FORMATS } from './v4l2-negotiate';

export class CaptureConverter {
  private staging: Buffer = Buffer.alloc(0);
  private readonly pool = new RgbBufferPool();

  /** `swapRedBlue`: RGB24 arrives with red and blue exchanged (config `video.swap_rb`). */
  constructor(private readonly swapRedBlue: boolean) {}

  /** Copies the lent driver buffer into staging memory; valid until the next `stage`. */
  stage(lent: Buffer): Buffer {
    if (this.staging.length < lent.length) this.staging = Buffer.allocUnsafe(lent.length);
    lent.copy(this.staging);
    return this.staging.subarray(0, lent.length);
  }

  /**
   * Converts staged pixels and hands the frame to `publish`, synchronously, while the pooled RGB
   * buffer is held for it; whoever keeps the frame longer takes its own hold.
   */
  async convert(pixels: Buffer, info: CaptureFrameInfo, capturedAt: number, publish: (frame: Frame) => void): Promise<void> {
    const format = FOURCC_FORMATS[info.pixelformat];
    if (format === undefined) throw new AgentError('not-supported', `pixel format ${info.pixelformat} cannot be converted`);
    const layout = { format, width: info.width, height: info.height, bytesPerLine: info.bytesperline, swapRedBlue: this.swapRedBlue };
    if (format === 'MJPEG') {
      // sharp decodes into a buffer of its own: an ordinary, garbage-collected frame.
      publish(frameOf(await toRgb24(pixels, layout), info, capturedAt));
      return;
    }
    const { pooled, release } = this.pool.take(frameByteLength(info.width, info.height));
    try {
      const frame = frameOf(convertRawToRgb24(pixels, layout, pooled.buffer), info, capturedAt);
      frame.hold = pooled.hold;
      publish(frame);
    } finally {
      release();
    }
  }
}

function frameOf(image: RgbImage, info: CaptureFrameInfo, capturedAt: number): Frame {
  return { width: image.width, height: image.height, rgb: image.rgb, sequence: info.sequence, capturedAt, online: true };
}
