/**
 * The agent's whole HTTP surface: frames, streams and status (app.ts) plus kickstart files
 * (agent/kickstart/router.ts), served on the TCP listener and the Unix socket (server.ts). The TCP
 * listener sits behind the access token when one is set; the Unix socket sits behind nginx and
 * kvmd's login, so it does not need it.
 */
import { requireToken } from './access-token';
import { createHttpApp, type HttpDeps } from './app';
import { HttpServers, type HttpServerOptions } from './server';
import { createKickstartRouter, type KickstartRouterDeps } from '../kickstart/router';
import type { Logger } from '../log';

export interface HttpSurfaceOptions {
  /** `http.max_streams` */
  maxStreams: number;
  /** The kickstart router's settings (`kickstart.default`, `vars`, `query_vars`). */
  kickstart: Pick<KickstartRouterDeps, 'defaultTemplate' | 'vars' | 'queryVars'>;
  /** The listeners; the TCP listener's handler is derived from `token`. */
  servers: Omit<HttpServerOptions, 'tcpHandler'>;
  /** The TCP listener's access token (agent/config/http-token.ts), '' for none. */
  token: string;
}

export interface HttpSurfaceParts {
  hub: HttpDeps['hub'];
  status: HttpDeps['status'];
  templates: KickstartRouterDeps['templates'];
  fetchLog: KickstartRouterDeps['fetchLog'];
  logger: Logger;
}

export function createHttpSurface(parts: HttpSurfaceParts, options: HttpSurfaceOptions): HttpServers {
  const logger = parts.logger.child('http');
  const app = createHttpApp({ hub: parts.hub, status: parts.status, logger, maxStreams: options.maxStreams });
  app.use(
    createKickstartRouter({
      templates: parts.templates,
      ...options.kickstart,
      fetchLog: parts.fetchLog,
      logger: parts.logger.child('kickstart'),
    }),
  );
  return new HttpServers(app, { ...options.servers, ...(options.token ? { tcpHandler: requireToken(options.token, app) } : {}) }, logger);
}
