/** The agent's HTTP surface: frames, streams and status (agent/http) plus kickstart files. */
import type { AgentConfig } from '../config';
import { createHttpApp } from '../http/app';
import { createKickstartRouter } from '../kickstart/router';
import type { FetchLog } from '../kickstart/fetch-log';
import type { KickstartTemplates } from '../kickstart/store';
import type { Logger } from '../log';
import type { FrameHub } from '../video/frame-hub';
import { requireToken } from '../http/access-token';
import { HttpServers } from './http-server';

export interface HttpParts {
  hub: FrameHub;
  status: () => Promise<unknown>;
  templates: KickstartTemplates;
  fetchLog: FetchLog;
  logger: Logger;
  /** the access token of the TCP listener (agent/config/http-token.ts), '' for none */
  token: string;
}

export function createHttpServersFor(config: AgentConfig, parts: HttpParts): HttpServers {
  const logger = parts.logger.child('http');
  const app = createHttpApp({ hub: parts.hub, status: parts.status, logger, maxStreams: config.http.max_streams });
  app.use(
    createKickstartRouter({
      templates: parts.templates,
      defaultTemplate: config.kickstart.default,
      vars: config.kickstart.vars,
      queryVars: config.kickstart.query_vars,
      fetchLog: parts.fetchLog,
      logger: parts.logger.child('kickstart'),
    }),
  );
  const { http } = config;
  return new HttpServers(
    app,
    {
      listen: http.listen,
      unixSocket: http.unix_socket ?? '',
      mode: config.control.mode,
      group: config.control.group,
      // The Unix socket sits behind nginx and kvmd's login; only the TCP listener needs the token.
      ...(parts.token ? { tcpHandler: requireToken(parts.token, app) } : {}),
      timeouts: { headersMs: http.headers_timeout_s * 1000, requestMs: http.request_timeout_s * 1000, keepAliveMs: http.keep_alive_timeout_s * 1000 },
    },
    logger,
  );
}
