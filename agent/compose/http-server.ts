/**
 * Serves the HTTP app on the configured TCP address and Unix socket (nginx reaches the agent
 * through the socket, so it gets the control socket's mode and group).
 */
import http from 'node:http';
import type { RequestListener } from 'node:http';
import { fromErrno } from '../errors';
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
  /** The TCP port actually bound (useful with port 0). */
  tcpPort: number | null = null;

  constructor(
    private readonly handler: RequestListener,
    private readonly options: HttpServerOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.options.listen !== '') {
      const { host, port } = parseListen(this.options.listen);
      const server = this.create();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => resolve());
        });
      } catch (e) {
        throw fromErrno(e, `HTTP listen on ${this.options.listen}`);
      }
      const address = server.address();
      this.tcpPort = typeof address === 'object' && address ? address.port : null;
      this.servers.push(server);
      this.logger.info('HTTP listening', { address: `${host}:${this.tcpPort}` });
    }
    if (this.options.unixSocket !== '') {
      const server = this.create();
      await listenUnix(server, this.options.unixSocket, { mode: this.options.mode, group: this.options.group });
      this.servers.push(server);
      this.logger.info('HTTP listening', { socket: this.options.unixSocket });
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
    if (this.options.unixSocket !== '' && servers.length) await unlinkSocket(this.options.unixSocket);
  }

  private create(): http.Server {
    const server = http.createServer(this.handler);
    server.keepAliveTimeout = 5000;
    return server;
  }
}
