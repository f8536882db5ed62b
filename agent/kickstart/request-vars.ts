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

/** What a query parameter may hold when its `kickstart.query_vars` entry names no pattern. */
export const DEFAULT_QUERY_PATTERN = '[A-Za-z0-9._:/@+-]+';
/** Longest query value (in characters) when its entry names no `max_length`. */
export const DEFAULT_QUERY_MAX_LENGTH = 256;

/** One `kickstart.query_vars` entry: a parameter a request may set, and what its value may be. */
export interface QueryVarSpec {
  readonly name: string;
  /** A regular expression the whole value must match (anchored here, Unicode mode). */
  readonly pattern: string;
  readonly max_length: number;
}

/**
 * Refused in every query value, whatever its pattern: control characters (C0, DEL, C1 with U+0085)
 * and the Unicode line and paragraph separators. pykickstart reads a kickstart with Python's
 * `str.splitlines` (pykickstart/parser.py, readKickstartFromString), which ends a line at
 * \v \f \x1c-\x1e U+0085 U+2028 U+2029 as well as at \n and \r: any of them inside a value starts
 * a kickstart line of the client's choosing (`a #<U+2028>%post` opens a %post section).
 */
const LINE_BREAK_OR_CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
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
 * The regular expression a whole value must match; throws SyntaxError for a malformed pattern. The
 * pattern is compiled alone first, so one that would close the anchoring group (`a)|(b`) is refused
 * rather than left matching a mere prefix.
 */
export function valuePattern(source: string): RegExp {
  new RegExp(source, 'u');
  return new RegExp(`^(?:${source})$`, 'u');
}

export interface QueryRule {
  readonly spec: QueryVarSpec;
  readonly pattern: RegExp;
}

/** The `kickstart.query_vars` entries with their patterns compiled (once, when the router is made). */
export function compileQueryRules(specs: readonly QueryVarSpec[]): readonly QueryRule[] {
  return specs.map((spec) => ({ spec, pattern: valuePattern(spec.pattern) }));
}

/**
 * Pick the whitelisted parameters out of a parsed query; other parameters are ignored. A value must
 * be given once, hold no line break or control character, be at most `max_length` characters and
 * match its pattern; anything else is `bad-argument` naming the parameter (the value itself is not
 * echoed: it may hold the very characters refused).
 */
export function queryVariables(query: Record<string, unknown>, rules: readonly QueryRule[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const { spec, pattern } of rules) {
    const { name } = spec;
    if (!Object.prototype.hasOwnProperty.call(query, name)) continue;
    const value = query[name];
    const refuse = (why: string) => new AgentError('bad-argument', `query parameter ${name} ${why}`);
    if (typeof value !== 'string') throw refuse('must be given once');
    const bad = LINE_BREAK_OR_CONTROL.exec(value);
    if (bad) throw refuse(`contains a line break or control character (${codePoint(bad[0])})`);
    if ([...value].length > spec.max_length) throw refuse(`is longer than ${spec.max_length} characters`);
    if (!pattern.test(value)) throw refuse(`does not match its pattern ${spec.pattern}`);
    vars[name] = value;
  }
  return vars;
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
