/** The agent's HTTP surface: frames, streams and status (agent/http) plus kickstart files. */
import type { AgentConfig } from '../config';
import { createHttpApp } from '../http/app';
import { createKickstartRouter } from '../kickstart/router';
import type { FetchLog } from '../kickstart/fetch-log';
import type { KickstartTemplates } from '../kickstart/store';
import type { Logger } from '../log';
import type { FrameHub } from '../video/frame-hub';
import { HttpServers } from './http-server';

export interface HttpParts {
  hub: FrameHub;
  status: () => Promise<unknown>;
  templates: KickstartTemplates;
  fetchLog: FetchLog;
  logger: Logger;
}

export function createHttpServersFor(config: AgentConfig, parts: HttpParts): HttpServers {
  const logger = parts.logger.child('http');
  const app = createHttpApp({ hub: parts.hub, status: parts.status, logger });
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
  return new HttpServers(
    app,
    { listen: config.http.listen, unixSocket: config.http.unix_socket ?? '', mode: config.control.mode, group: config.control.group },
    logger,
  );
}
