/**
 * The variables a kickstart request contributes, validated: whitelisted query parameters and the
 * request facts `client_addr`, `agent_addr`, `agent_port`.
 *
 * Facts come from the connection when it is TCP. When it arrived over the agent's HTTP unix socket it
 * came through nginx (our add-on, nginx/nginx.ctx-server.conf), which reports the real peer in
 * `X-Real-IP` and the address/port the installer connected to in `X-Server-Addr`/`X-Server-Port`;
 * those headers are trusted only on the unix socket (which only nginx can reach) and ignored on TCP,
 * where any client could forge them.
 */
import { AgentError } from '../errors';

export const MAX_QUERY_VALUE = 256;
const CONTROL = /[\u0000-\u001f\u007f]/;
const ADDRESS = /^[0-9A-Fa-f:.]{1,45}$/;
const PORT = /^\d{1,5}$/;

export interface RequestFacts {
  client_addr?: string;
  agent_addr?: string;
  agent_port?: string;
}

export interface ConnectionInfo {
  remoteAddress?: string | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) → `192.0.2.1`. */
function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice('::ffff:'.length) : a;
}

function header(headers: Record<string, string | string[] | undefined>, name: string, shape: RegExp): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && shape.test(v.trim()) ? plainAddress(v.trim()) : undefined;
}

export function requestFacts(conn: ConnectionInfo, headers: Record<string, string | string[] | undefined>): RequestFacts {
  const facts: RequestFacts = {};
  const viaProxy = conn.remoteAddress === undefined; // unix socket: only nginx is in front of it
  const client = viaProxy ? header(headers, 'x-real-ip', ADDRESS) : plainAddress(conn.remoteAddress!);
  const agentAddr = viaProxy ? header(headers, 'x-server-addr', ADDRESS) : conn.localAddress && plainAddress(conn.localAddress);
  const agentPort = viaProxy ? header(headers, 'x-server-port', PORT) : conn.localPort === undefined ? undefined : String(conn.localPort);
  if (client) facts.client_addr = client;
  if (agentAddr) facts.agent_addr = agentAddr;
  if (agentPort) facts.agent_port = agentPort;
  return facts;
}

/**
 * Pick the whitelisted parameters out of a parsed query; other parameters are ignored. A value
 * must be a single string of at most MAX_QUERY_VALUE characters with no control characters (a
 * newline would inject kickstart commands); anything else is `bad-argument`.
 */
export function queryVariables(query: Record<string, unknown>, allowed: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of allowed) {
    if (!Object.prototype.hasOwnProperty.call(query, name)) continue;
    const value = query[name];
    if (typeof value !== 'string') throw new AgentError('bad-argument', `query parameter ${name} must be given once`);
    if (value.length > MAX_QUERY_VALUE) throw new AgentError('bad-argument', `query parameter ${name} is longer than ${MAX_QUERY_VALUE} characters`);
    if (CONTROL.test(value)) throw new AgentError('bad-argument', `query parameter ${name} contains a control character`);
    vars[name] = value;
  }
  return vars;
}
