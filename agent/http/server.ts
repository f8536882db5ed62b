/**
 * Serves the HTTP app on the configured TCP address and Unix socket (nginx reaches the agent
 * through the socket, so it gets the control socket's mode and group).
 */
import http from 'node:http';
import type { RequestListener } from 'node:http';
import { splitListen } from '../config/types';
import { fromErrnoWorded, inContext } from '../errors';
import type { Logger } from '../log';
import { listenUnix, unlinkSocket } from '../platform/unix-socket';

export interface HttpServerOptions {
  /** `host:port` or '' for none. */
  listen: string;
  /** Unix socket path or '' for none. */
  unixSocket: string;
  mode: number;
  group: string;
  /** The TCP listener's handler when it differs from the socket's (behind the access token). */
  tcpHandler?: RequestListener;
  timeouts: HttpTimeouts;
}

/**
 * Node's bounds on a slow client (issue 11: 4,200 slowloris connections used every descriptor).
 * `requestTimeout` covers receiving the request only; a stream response is never cut by it
 * (node/lib/_http_server.js checkConnections looks only at connections still reading a request).
 */
export interface HttpTimeouts {
  /** request line and headers complete, from the connection's start (also ends silent sockets) */
  headersMs: number;
  /** whole request received */
  requestMs: number;
  /** idle keep-alive connection closed */
  keepAliveMs: number;
}


export class HttpServers {
  private readonly servers: http.Server[] = [];
  /** Whether the Unix socket file is ours to remove (we listened on it). */
  private unixListening = false;
  private maxConnections: number | undefined;
  /** The TCP port actually bound (useful with port 0). */
  tcpPort: number | null = null;

  constructor(
    private readonly handler: RequestListener,
    private readonly options: HttpServerOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * At most `n` connections per listener from now on; Node closes further ones as soon as they are
   * accepted (net.Server.maxConnections), so a flood cannot take the descriptors the agent needs.
   */
  limitConnections(n: number): void {
    this.maxConnections = n;
    for (const server of this.servers) server.maxConnections = n;
  }

  /** Both listeners or neither: when the second fails, the first is closed again. */
  async start(): Promise<void> {
    try {
      if (this.options.listen !== '') await this.listenTcp(this.options.listen);
      if (this.options.unixSocket !== '') await this.listenUnixSocket(this.options.unixSocket);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections(); // streams never end on their own
          }),
      ),
    );
    if (this.unixListening) await unlinkSocket(this.options.unixSocket);
    this.unixListening = false;
  }

  private async listenTcp(listen: string): Promise<void> {
    const { host, port } = splitListen(listen);
    const server = this.create(this.options.tcpHandler ?? this.handler);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      throw fromErrnoWorded(e, `http.listen ${listen}`);
    }
    const address = server.address();
    this.tcpPort = typeof address === 'object' && address ? address.port : null;
    this.servers.push(server);
    this.logger.info('HTTP listening', { address: `${host}:${this.tcpPort}` });
  }

  private async listenUnixSocket(socketPath: string): Promise<void> {
    const server = this.create(this.handler);
    await listenUnix(server, socketPath, { mode: this.options.mode, group: this.options.group }).catch((e) => {
      throw inContext(e, 'http.unix_socket');
    });
    this.servers.push(server);
    this.unixListening = true;
    this.logger.info('HTTP listening', { socket: socketPath });
  }

  private create(handler: RequestListener): http.Server {
    const { headersMs, requestMs, keepAliveMs } = this.options.timeouts;
    const server = http.createServer(
      // Node checks both timeouts every connectionsCheckingInterval (default 30 s): a quarter of
      // the headers bound keeps the cut close to it.
      { headersTimeout: headersMs, requestTimeout: Math.max(requestMs, headersMs), connectionsCheckingInterval: Math.max(250, headersMs / 4) },
      handler,
    );
    server.keepAliveTimeout = keepAliveMs;
    if (this.maxConnections !== undefined) server.maxConnections = this.maxConnections;
    return server;
  }
}
