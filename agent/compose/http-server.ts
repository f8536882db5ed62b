/**
 * Serves the HTTP app on the configured TCP address and Unix socket (nginx reaches the agent
 * through the socket, so it gets the control socket's mode and group).
 */
import http from 'node:http';
import type { RequestListener } from 'node:http';
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
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
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
    const { host, port } = parseListen(listen);
    const server = this.create();
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
    const server = this.create();
    await listenUnix(server, socketPath, { mode: this.options.mode, group: this.options.group }).catch((e) => {
      throw inContext(e, 'http.unix_socket');
    });
    this.servers.push(server);
    this.unixListening = true;
    this.logger.info('HTTP listening', { socket: socketPath });
  }

  private create(): http.Server {
    const server = http.createServer(this.handler);
    server.keepAliveTimeout = 5000;
    if (this.maxConnections !== undefined) server.maxConnections = this.maxConnections;
    return server;
  }
}
