/**
 * Frames at the client's screen size (`?size=WxH`, os-autoinst's XRES×YRES).
 *
 * os-autoinst scales every frame it receives to XRES×YRES before it matches needles
 * (backend/baseclass.pm `enqueue_screenshot` → ppmclibs/tinycv_impl.cc `image_scale`): a frame
 * larger than that in either dimension is stretched to exactly XRES×YRES; a frame that fits is not
 * scaled up (it is padded). Doing the same here, before the frame leaves the PiKVM, changes nothing
 * in what os-autoinst matches, and a 1920×1080 source costs 2.4 MB per frame instead of 6.2 MB —
 * on the wire, through ssh, and in os-autoinst's pipe from ffmpeg, which it asks to be one frame
 * large (consoles/video_stream.pm, `VIDEO_STREAM_PIPE_BUFFER_SIZE`; README, Video).
 *
 * Each distinct (frame, size) pair is scaled once, however many clients ask for it: the hub hands
 * the same Frame object to every subscriber, and the scaled result is kept beside it (a WeakMap:
 * it goes when the frame goes). Scaling runs in sharp (libvips, off the main thread); the source
 * pixels are held (agent/video/rgb-pool.ts) until it has read them.
 */
import sharp from 'sharp';
import { AgentError } from '../errors';
import type { Frame } from './frame';
import { holdPixels } from './rgb-pool';

export interface FrameSize {
  width: number;
  height: number;
}

/** Bounds of a requested size; the widest HDMI mode is 7680 pixels. */
const MIN_SIZE = 16;
const MAX_SIZE = 8192;

const SIZE_SYNTAX = /^([0-9]{1,5})x([0-9]{1,5})$/;

/** `WxH` with each side from MIN_SIZE to MAX_SIZE, e.g. `1024x768`. */
export function parseFrameSize(text: string, what = 'size'): FrameSize {
  const m = SIZE_SYNTAX.exec(text);
  const width = m ? Number(m[1]) : NaN;
  const height = m ? Number(m[2]) : NaN;
  const inRange = (n: number) => n >= MIN_SIZE && n <= MAX_SIZE;
  if (!inRange(width) || !inRange(height)) {
    throw new AgentError('bad-argument', `${what} must be WIDTHxHEIGHT, each from ${MIN_SIZE} to ${MAX_SIZE}, e.g. 1024x768 (got ${JSON.stringify(text)})`);
  }
  return { width, height };
}

/** The size os-autoinst turns a frame into for a `limit` screen (see the module comment). */
export function sizeFor(frame: FrameSize, limit: FrameSize | undefined): FrameSize {
  if (!limit || (frame.width <= limit.width && frame.height <= limit.height)) return { width: frame.width, height: frame.height };
  return { width: limit.width, height: limit.height };
}

export type ResizeRgb = (rgb: Buffer, from: FrameSize, to: FrameSize) => Promise<Buffer>;

/**
 * Bilinear, as os-autoinst's own scaling (OpenCV `resize`, default INTER_LINEAR), and cheaper than
 * sharp's default Lanczos 3, which bench/video-scale.ts measured at 10–40 % more CPU from
 * 1920×1080 and 60–90 % more from 1280×720.
 */
export const sharpResize: ResizeRgb = (rgb, from, to) =>
  sharp(rgb, { raw: { width: from.width, height: from.height, channels: 3 } })
    .resize(to.width, to.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();

export class FrameScaler {
  private readonly scaledFrames = new WeakMap<Frame, Map<string, Promise<Frame>>>();
  private count = 0;

  constructor(private readonly resize: ResizeRgb = sharpResize) {}

  /** Scalings done since start (each distinct frame and size once). */
  get scalings(): number {
    return this.count;
  }

  /**
   * `frame` at `size`: the frame itself when it already has that size (synchronously, its pooled
   * pixels as they are), else a scaled copy whose pixels belong to no pool.
   */
  scaled(frame: Frame, size: FrameSize): Frame | Promise<Frame> {
    if (frame.width === size.width && frame.height === size.height) return frame;
    let sizes = this.scaledFrames.get(frame);
    if (!sizes) this.scaledFrames.set(frame, (sizes = new Map()));
    const key = `${size.width}x${size.height}`;
    const known = sizes.get(key);
    if (known) return known;
    const release = holdPixels(frame);
    this.count++;
    const pending = this.resize(frame.rgb, frame, size).then(
      (rgb): Frame => ({ ...frame, width: size.width, height: size.height, rgb, hold: undefined }),
      (e: unknown) => {
        sizes.delete(key); // a later request tries again
        throw e;
      },
    );
    void pending.finally(release).catch(() => undefined);
    sizes.set(key, pending);
    return pending;
  }
}
