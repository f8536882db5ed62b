/**
 * Single-frame routes: the latest frame as PPM, PNG or JPEG. The response always carries a
 * picture; `X-Signal: online|offline` (and `X-Signal-Reason`) tell whether it is the placeholder.
 * `?size=WxH` scales a larger frame to W×H, as the streams do (agent/video/frame-scaler.ts).
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import sharp from 'sharp';
import type { Frame } from '../video/frame';
import { type FrameScaler, sizeFor } from '../video/frame-scaler';
import { encodePpm } from '../video/ppm';
import { holdPixels } from '../video/rgb-pool';
import type { HttpDeps } from './deps';
import { parseSize } from './query';

export function frameHeaders(res: Response, frame: Frame, now: number): void {
  res.set('X-Signal', frame.online ? 'online' : 'offline');
  if (!frame.online && frame.reason) res.set('X-Signal-Reason', frame.reason);
  res.set('X-Frame-Sequence', String(frame.sequence));
  res.set('X-Frame-Age-Ms', String(Math.max(0, Math.round(now - frame.capturedAt))));
  res.set('Cache-Control', 'no-store');
}

function rawInput(frame: Frame): sharp.Sharp {
  return sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } });
}

export function frameRoutes(deps: HttpDeps, scaler: FrameScaler): Router {
  const router = express.Router();
  const now = deps.now ?? (() => performance.now());
  const send = (encode: (frame: Frame) => Promise<Buffer> | Buffer, type: string) =>
    async (req: Request, res: Response): Promise<void> => {
      const limit = parseSize(req.query['size']);
      const frame = await deps.hub.snapshot();
      const release = holdPixels(frame);
      let body: Buffer;
      try {
        body = await encode(await scaler.scaled(frame, sizeFor(frame, limit)));
      } finally {
        release();
      }
      frameHeaders(res, frame, now());
      res.type(type).send(body);
    };
  router.get('/frame.ppm', send((f) => encodePpm(f), 'image/x-portable-pixmap'));
  router.get('/frame.png', send((f) => rawInput(f).png({ compressionLevel: 3 }).toBuffer(), 'image/png'));
  router.get('/frame.jpg', send((f) => rawInput(f).jpeg({ quality: 85 }).toBuffer(), 'image/jpeg'));
  return router;
}
