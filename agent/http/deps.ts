/**
 * What the HTTP layer needs, injected by the composition root (main.ts) or by tests.
 */
import type { Logger } from '../log';
import type { FrameHub } from '../video/frame-hub';

export type FrameHubView = Pick<FrameHub, 'latest' | 'snapshot' | 'subscribe' | 'signal' | 'signalReport' | 'maxFps'>;

export interface HttpDeps {
  hub: FrameHubView;
  /** the daemon's status document for `GET /api/status` */
  status: () => unknown | Promise<unknown>;
  logger?: Logger;
  /** clock of the hub (ms), for frame ages */
  now?: () => number;
  /**
   * Per-client bound on bytes queued in a stream response. A frame is dropped for that client
   * while more than this is still unsent; default 0: never a second frame while one is unsent.
   */
  maxBufferedBytes?: number;
  /** Stream responses open at once (`http.max_streams`); more are answered 503. Default: no cap. */
  maxStreams?: number;
}
