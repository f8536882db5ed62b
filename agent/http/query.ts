/**
 * Validation of HTTP query parameters into typed values (the core never sees raw strings).
 */
import { AgentError } from '../errors';
import { type FrameSize, parseFrameSize } from '../video/frame-scaler';

export const DEFAULT_STREAM_FPS = 2;

/** `?fps=N`: an integer from 1 to `maxFps`; absent → 2 (what Debian's os-autoinst asks for). */
export function parseFps(raw: unknown, maxFps: number): number {
  if (raw === undefined) return DEFAULT_STREAM_FPS;
  if (typeof raw !== 'string' || !/^[0-9]{1,4}$/.test(raw)) {
    throw new AgentError('bad-argument', `fps must be an integer from 1 to ${maxFps} (got ${JSON.stringify(raw)})`);
  }
  const fps = Number(raw);
  if (fps < 1 || fps > maxFps) {
    throw new AgentError('bad-argument', `fps must be an integer from 1 to ${maxFps} (got ${fps})`);
  }
  return fps;
}

/**
 * `?size=WxH`: the client's screen (os-autoinst's XRES×YRES); larger frames are scaled to it
 * (agent/video/frame-scaler.ts). Absent → frames at the source's size.
 */
export function parseSize(raw: unknown): FrameSize | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new AgentError('bad-argument', `size must be given once (got ${JSON.stringify(raw)})`);
  return parseFrameSize(raw);
}
