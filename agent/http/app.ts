/**
 * The agent's HTTP application (express 5), built only from injected services so tests can run
 * it on an ephemeral port or call it directly. Routes: frames (/frame.ppm|png|jpg), streams
 * (/stream.ppm, /stream.nut), /api/status, /api/signal and the status page at /.
 * Other features (ks.cfg rendering) mount their own routers on the returned app.
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { AgentError, describe } from '../errors';
import { silentLogger } from '../log';
import type { HttpDeps } from './deps';
import { FrameScaler } from '../video/frame-scaler';
import { frameRoutes } from './frames';
import { streamRoutes, type StreamStats } from './streams';
import { STATUS_PAGE } from './status-page';

export type { HttpDeps } from './deps';

export interface HttpApp extends express.Express {
  /** live counters of the stream routes */
  streamStats: StreamStats;
  /** scales frames for `?size=` (its `scalings` counter: once per frame and size) */
  frameScaler: FrameScaler;
}

const HTTP_STATUS: Partial<Record<AgentError['code'], number>> = {
  'bad-argument': 400,
  'not-found': 404,
  forbidden: 403,
  busy: 503,
  'no-device': 503,
  timeout: 504,
};

export function createHttpApp(deps: HttpDeps): HttpApp {
  const log = (deps.logger ?? silentLogger).child('http');
  const stats: StreamStats = { open: 0, dropped: 0, refused: 0 };
  const app = express() as HttpApp;
  app.streamStats = stats;
  app.disable('x-powered-by');
  app.set('etag', false);

  // One scaler for every route: a frame asked for at one size by several clients is scaled once.
  const scaler = new FrameScaler();
  app.frameScaler = scaler;
  app.use(frameRoutes(deps, scaler));
  app.use(streamRoutes(deps, stats, scaler));

  app.get('/api/status', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await deps.status());
  });
  app.get('/api/signal', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(deps.hub.signalReport());
  });
  app.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(STATUS_PAGE);
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = err instanceof AgentError ? (HTTP_STATUS[err.code] ?? 500) : 500;
    if (status >= 500) log.warn('request failed', { path: req.path, error: describe(err) });
    res.status(status).type('text/plain').send(`${describe(err)}\n`);
  });
  return app;
}
