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
 * `&size=WxH` (both routes): frames larger than W×H are scaled to it, as os-autoinst would
 * (agent/video/frame-scaler.ts), once per frame and size for all clients. A stream waiting for a
 * scaled frame drops the frames that arrive meanwhile, so its frames stay in order.
 *
 * Slow clients: a frame is written only while nothing of the previous one is still unsent
 * (`res.writableLength`, or the `maxBufferedBytes` bound if set); otherwise that frame is dropped
 * for that client alone, before its pixels are held. The hub never waits. A client that never
 * reads thus pins at most one frame; `maxStreams` (`http.max_streams`) bounds how many such
 * clients there can be (issue 11: 200 stalled clients once held 2.3 MB each, over MemoryMax).
 * Beyond it, a stream request is answered 503 with a line naming the key.
 *
 * `HEAD` gets the stream's headers and nothing else: no subscription, no count.
 * Subscriptions end when the client goes away (`close`), so nothing leaks. A frame's pixels are
 * held (agent/video/rgb-pool.ts) until the socket has taken them: `res.write`'s callback runs once
 * the chunk is flushed, or with an error when the connection is gone.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import type { Frame } from '../video/frame';
import { type FrameScaler, type FrameSize, sizeFor } from '../video/frame-scaler';
import { NutMuxer } from '../video/nut/muxer';
import { ppmHeader } from '../video/ppm';
import { holdPixels } from '../video/rgb-pool';
import type { HttpDeps } from './deps';
import { parseFps, parseSize } from './query';
import { silentLogger } from '../log';

export interface StreamStats {
  /** open stream responses */
  open: number;
  /** frames dropped for slow clients since start */
  dropped: number;
  /** stream requests refused because `maxStreams` were open */
  refused: number;
}

/** Default: not one byte of an earlier frame may be unsent (never two frames queued). */
function hasRoom(res: Response, bound: number | undefined): boolean {
  return res.writableLength <= (bound ?? 0);
}

/** Writes the frame's pixels, held until the socket has them. */
function writePixels(res: Response, frame: Frame): void {
  const release = holdPixels(frame);
  res.write(frame.rgb, () => release());
}

type FrameWriter = (frame: Frame, at: number) => void;

export function streamRoutes(deps: HttpDeps, stats: StreamStats, scaler: FrameScaler): Router {
  const router = express.Router();
  const log = (deps.logger ?? silentLogger).child('stream');

  function open(req: Request, res: Response, contentType: string, onFrame: FrameWriter): void {
    const fps = parseFps(req.query['fps'], deps.hub.maxFps);
    if (req.method === 'HEAD') {
      res.status(200).set({ 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end();
      return;
    }
    const max = deps.maxStreams;
    if (max !== undefined && stats.open >= max) {
      stats.refused++;
      log.warn('stream refused: too many open', { path: req.path, max_streams: max });
      res.status(503).set({ 'Content-Type': 'text/plain', 'Cache-Control': 'no-store', 'Retry-After': '5', Connection: 'close' });
      res.end(`${max} streams are open (http.max_streams); try again later\n`);
      return;
    }
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

  /** One client's frames at the sizes asked for, in order (see the module comment). */
  function scaledWriter(res: Response, write: FrameWriter): (frame: Frame, at: number, size: FrameSize) => void {
    let waiting = false;
    return (frame, at, size) => {
      if (waiting || !hasRoom(res, deps.maxBufferedBytes)) {
        stats.dropped++;
        return;
      }
      const out = scaler.scaled(frame, size);
      if (!(out instanceof Promise)) {
        write(out, at);
        return;
      }
      waiting = true;
      out.then(
        (scaled) => {
          waiting = false;
          if (!res.destroyed && !res.writableEnded) write(scaled, at);
        },
        (e: Error) => {
          waiting = false;
          log.warn('scaling a frame failed; dropped', { error: e.message });
        },
      );
    };
  }

  router.get('/stream.ppm', (req, res) => {
    const limit = parseSize(req.query['size']);
    const send = scaledWriter(res, (frame) => {
      res.write(ppmHeader(frame.width, frame.height));
      writePixels(res, frame);
    });
    open(req, res, 'image/x-portable-pixmap', (frame, at) => send(frame, at, sizeFor(frame, limit)));
  });

  router.get('/stream.nut', (req, res) => {
    const limit = parseSize(req.query['size']);
    let muxer: NutMuxer | undefined;
    let startedAt = 0;
    let lastPts = -1;
    const send = scaledWriter(res, (frame, at) => {
      const m = muxer!;
      const pts = Math.max(lastPts + 1, m.ptsFromMs(at - startedAt));
      lastPts = pts;
      res.write(m.frameHeader(pts, frame.rgb.length));
      writePixels(res, frame);
    });
    open(req, res, 'video/x-nut', (frame, at) => {
      if (!muxer) {
        muxer = new NutMuxer(sizeFor(frame, limit));
        startedAt = at;
        res.write(muxer.header());
      }
      send(frame, at, { width: muxer.width, height: muxer.height });
    });
  });

  return router;
}
