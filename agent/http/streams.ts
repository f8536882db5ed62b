/**
 * Stream routes.
 *
 * `GET /stream.ppm?fps=N` — binary PPM frames back to back at N fps, for scripts and the
 * `pikvm-agent ffmpeg` shim. No container, no timestamps: not for an ffmpeg URL (ffmpeg would
 * assume 25 fps; shared/reference/video-transport.md).
 *
 * `GET /stream.nut?fps=N` — one rawvideo RGB24 stream in NUT with real timestamps (time since the
 * request, 1/100 s), what an unmodified `ffmpeg -i URL -vcodec ppm -f rawvideo -r N -` reads at
 * the right rate. NUT cannot change the size of a rawvideo stream mid-stream, so after a mode
 * change frames are scaled (sharp, "fill") to the size the stream started with. Ending the
 * response instead would make ffmpeg exit and the consumer restart it, which os-autoinst only
 * does after a 4 s stall (and upstream since 2026-07 treats a closed stream as fatal); os-autoinst
 * scales every frame to XRES×YRES anyway, so scaling here loses nothing it would keep. A client
 * that wants the new native size reconnects.
 *
 * Slow clients: each frame is written only if the client's queue (`res.writableLength`) holds
 * less than the bound; otherwise that frame is dropped for that client alone. The hub never waits.
 * Subscriptions end when the client goes away (`close`), so nothing leaks. A frame's pixels are
 * held (agent/video/rgb-pool.ts) until the socket has taken them: `res.write`'s callback runs once
 * the chunk is flushed, or with an error when the connection is gone.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import sharp from 'sharp';
import type { Frame } from '../video/frame';
import { NutMuxer } from '../video/nut/muxer';
import { ppmHeader } from '../video/ppm';
import { holdPixels } from '../video/rgb-pool';
import type { HttpDeps } from './deps';
import { parseFps } from './query';
import { silentLogger } from '../log';

export interface StreamStats {
  /** open stream responses */
  open: number;
  /** frames dropped for slow clients since start */
  dropped: number;
}

function hasRoom(res: Response, frameBytes: number, bound: number | undefined): boolean {
  return res.writableLength <= (bound ?? frameBytes);
}

async function scaleTo(frame: Frame, width: number, height: number): Promise<Buffer> {
  const release = holdPixels(frame);
  try {
    return await sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
  } finally {
    release();
  }
}

/** Writes the frame's pixels, held until the socket has them. */
function writePixels(res: Response, frame: Frame): void {
  const release = holdPixels(frame);
  res.write(frame.rgb, () => release());
}

export function streamRoutes(deps: HttpDeps, stats: StreamStats): Router {
  const router = express.Router();
  const log = (deps.logger ?? silentLogger).child('stream');

  function open(req: Request, res: Response, contentType: string, onFrame: (frame: Frame, at: number) => void): void {
    const fps = parseFps(req.query['fps'], deps.hub.maxFps);
    res.status(200);
    res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-store', Connection: 'close' });
    res.flushHeaders();
    stats.open++;
    const sub = deps.hub.subscribe(fps, (frame, at) => {
      if (res.destroyed || res.writableEnded) return;
      try {
        onFrame(frame, at);
      } catch (e) {
        // A broken stream is cut rather than left open without frames (the client reconnects).
        log.warn('stream failed; closing it', { path: req.path, error: (e as Error).message });
        res.destroy();
      }
    });
    log.info('stream opened', { path: req.path, fps, clients: stats.open });
    res.on('close', () => {
      sub.close();
      stats.open--;
      log.info('stream closed', { path: req.path, delivered: sub.delivered, clients: stats.open });
    });
  }

  router.get('/stream.ppm', (req, res) => {
    open(req, res, 'image/x-portable-pixmap', (frame) => {
      if (!hasRoom(res, frame.rgb.length, deps.maxBufferedBytes)) {
        stats.dropped++;
        return;
      }
      res.write(ppmHeader(frame.width, frame.height));
      writePixels(res, frame);
    });
  });

  router.get('/stream.nut', (req, res) => {
    let muxer: NutMuxer | undefined;
    let startedAt = 0;
    let lastPts = -1;
    let scaling = false;
    const emit = (at: number, frame: Frame) => {
      const m = muxer!;
      const pts = Math.max(lastPts + 1, m.ptsFromMs(at - startedAt));
      lastPts = pts;
      res.write(m.frameHeader(pts, frame.rgb.length));
      writePixels(res, frame);
    };
    open(req, res, 'video/x-nut', (frame, at) => {
      if (!muxer) {
        muxer = new NutMuxer({ width: frame.width, height: frame.height });
        startedAt = at;
        res.write(muxer.header());
      }
      const m = muxer;
      if (scaling || !hasRoom(res, m.width * m.height * 3, deps.maxBufferedBytes)) {
        stats.dropped++;
        return;
      }
      if (frame.width === m.width && frame.height === m.height) {
        emit(at, frame);
        return;
      }
      scaling = true;
      scaleTo(frame, m.width, m.height).then(
        (rgb) => {
          scaling = false;
          if (!res.destroyed && !res.writableEnded) emit(at, { ...frame, width: m.width, height: m.height, rgb, hold: undefined });
        },
        (e: Error) => {
          scaling = false;
          log.warn('scaling a frame failed; dropped', { error: e.message });
        },
      );
    });
  });

  return router;
}
