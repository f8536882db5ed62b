/**
 * HTTP for installers: `GET /ks.cfg` (the default template) and `GET /ks/<name>.cfg`, rendered with,
 * from weakest to strongest: configuration variables (`kickstart.vars`), whitelisted query
 * parameters (`kickstart.query_vars`), request facts (`client_addr`, `agent_addr`, `agent_port`;
 * a query parameter or config key cannot override them).
 *
 * Answers: 200 text/plain; 400 bad query value (naming the parameter); 403 template points outside its directory; 404 no
 * such template (invalid names included: `..`, `%2e%2e`, dots); 500 the template cannot be rendered
 * (undefined variable, syntax error) with the reason in the body and in the log. Every request is
 * logged and kept in the fetch log.
 */
import { Router, type Request, type Response } from 'express';
import { AgentError, describe } from '../errors';
import type { Logger } from '../log';
import type { FetchLog } from './fetch-log';
import { compileQueryRules, type QueryVarSpec, queryVariables, requestFacts } from './request-vars';
import { type KickstartTemplates, TEMPLATE_NAME } from './store';
import { renderTemplate, TemplateSyntaxError, UndefinedVariableError } from './template';

export interface KickstartRouterDeps {
  templates: KickstartTemplates;
  /** `kickstart.default`: the template `/ks.cfg` serves. */
  defaultTemplate: string;
  /** `kickstart.vars`. */
  vars: Readonly<Record<string, string>>;
  /** `kickstart.query_vars`: query parameters a request may set, and the values each may hold. */
  queryVars: readonly QueryVarSpec[];
  fetchLog: FetchLog;
  logger: Logger;
  now?: () => number;
}

const FILE = /^([A-Za-z0-9_-]{1,64})\.cfg$/;

function statusFor(e: unknown): number {
  if (e instanceof UndefinedVariableError || e instanceof TemplateSyntaxError) return 500;
  if (e instanceof AgentError) {
    if (e.code === 'not-found') return 404;
    if (e.code === 'forbidden') return 403;
    if (e.code === 'bad-argument') return 400;
  }
  return 500;
}

export function createKickstartRouter(deps: KickstartRouterDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const log = deps.logger;
  const queryRules = compileQueryRules(deps.queryVars);

  async function serve(req: Request, res: Response, requested: string, name: string | null): Promise<void> {
    const time = new Date(now()).toISOString();
    const facts = requestFacts(
      { remoteAddress: req.socket.remoteAddress, localAddress: req.socket.localAddress, localPort: req.socket.localPort },
      req.headers,
    );
    const client = facts.client_addr ?? null;
    const template = requested.slice(0, 64);
    try {
      if (name === null || !TEMPLATE_NAME.test(name)) {
        throw new AgentError('not-found', `no kickstart template ${JSON.stringify(template)}`);
      }
      const query = queryVariables(req.query as Record<string, unknown>, queryRules);
      const text = await deps.templates.read(name);
      const body = renderTemplate(text, { ...deps.vars, ...query, ...facts });
      res.status(200).set('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(body);
      const bytes = Buffer.byteLength(body, 'utf8');
      deps.fetchLog.record({ time, client, template, status: 200, bytes });
      log.info('kickstart served', { template: name, client, bytes });
    } catch (e) {
      const status = statusFor(e);
      const reason =
        e instanceof UndefinedVariableError || e instanceof TemplateSyntaxError
          ? `kickstart template ${JSON.stringify(name)} cannot be rendered: ${e.message}`
          : describe(e);
      deps.fetchLog.record({ time, client, template, status, error: reason });
      const fields = { template, client, status, error: reason };
      if (status >= 500) log.error('kickstart fetch failed', fields);
      else log.warn('kickstart fetch refused', fields);
      res.status(status).set('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(reason + '\n');
    }
  }

  router.get('/ks.cfg', (req, res) => serve(req, res, deps.defaultTemplate, deps.defaultTemplate));
  router.get('/ks/:file', (req, res) => {
    const file = String(req.params.file);
    const m = FILE.exec(file);
    return serve(req, res, m ? m[1]! : file, m ? m[1]! : null);
  });
  return router;
}
