/**
 * Test fixture: a synthetic source → frame hub → HTTP app listening on 127.0.0.1:0.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp, type HttpApp } from '../../../agent/http/app';
import { FrameHub } from '../../../agent/video/frame-hub';
import { SyntheticSource } from '../../../agent/video/sources/synthetic';
import { recordingLogger } from '../../../agent/log';

export interface Fixture {
  source: SyntheticSource;
  hub: FrameHub;
  app: HttpApp;
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startFixture(opts: { width?: number; height?: number; rate?: number; maxBufferedBytes?: number } = {}): Promise<Fixture> {
  const source = new SyntheticSource({ width: opts.width ?? 320, height: opts.height ?? 240, rate: opts.rate ?? 60 });
  const hub = new FrameHub({ source, logger: recordingLogger('hub') });
  await hub.start();
  const app = createHttpApp({
    hub,
    status: () => ({ signal: hub.signal(), subscribers: hub.subscriberCount }),
    ...(opts.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: opts.maxBufferedBytes }),
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    source,
    hub,
    app,
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.stop();
    },
  };
}
