/**
 * Reply lines of the control protocol: `ok`, `ok <one-line JSON>`, or `error: <code> <message>`.
 * os-autoinst (upstream, PR #2514) waits for exactly `ok\n` after every line it sends, so a reply is
 * always exactly one line: messages are flattened and bounded.
 */
import { AgentError, describe } from '../errors';

const MAX_MESSAGE = 300;

export function okReply(value?: unknown): string {
  if (value === undefined) return 'ok';
  return `ok ${JSON.stringify(value)}`; // JSON.stringify escapes newlines: still one line
}

export function errorReply(e: unknown): string {
  const code = e instanceof AgentError ? e.code : 'internal';
  let message = describe(e).replace(/[\r\n]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '?');
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  return `error: ${code} ${message}`;
}
