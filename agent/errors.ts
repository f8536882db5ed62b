/**
 * The agent's error vocabulary. Every failure that crosses a module boundary is an AgentError with
 * one of these codes; errno values are translated into them once, where the syscall is made
 * (see `fromErrno`). The control protocol prints `error: <code> <message>`.
 */
import { getSystemErrorMap } from 'node:util';

export type ErrorCode =
  | 'bad-command' // the line could not be parsed
  | 'bad-argument' // parsed, but an argument is out of range or malformed
  | 'unknown-key' // a key name not in the keymap
  | 'too-long' // a control line over the limit
  | 'host-offline' // the USB host is not reading (not configured, unbound, not polling)
  | 'busy' // the resource is in use (kernel EBUSY, another gadget on the UDC, lease held)
  | 'forbidden' // refused by policy (path outside the allowed directories, device node)
  | 'not-found' // a file, LUN, device or template does not exist
  | 'no-space' // a bound on stored data is reached (kickstart uploads; ENOSPC, EDQUOT)
  | 'no-device' // hardware absent (no UDC, no capture device)
  | 'not-supported' // a valid request this build or device cannot do
  | 'timeout' // an operation did not finish in its bound
  | 'io' // any other I/O failure
  | 'internal'; // a bug: should never be seen

export class AgentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

export function isAgentError(e: unknown, code?: ErrorCode): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}

/** errno names (as Node reports them in `err.code`) mapped to our codes. */
const ERRNO_CODES: Record<string, ErrorCode> = {
  EBUSY: 'busy',
  ENOENT: 'not-found',
  ENOSPC: 'no-space',
  EDQUOT: 'no-space',
  ENODEV: 'no-device',
  ENXIO: 'no-device',
  EACCES: 'forbidden',
  EPERM: 'forbidden',
  ESHUTDOWN: 'host-offline',
  EAGAIN: 'host-offline',
  ETIMEDOUT: 'timeout',
  EINVAL: 'bad-argument',
  E2BIG: 'bad-argument',
  ENODATA: 'not-found',
  ENOTSUP: 'not-supported',
  EOPNOTSUPP: 'not-supported',
  ENOTTY: 'not-supported',
  EADDRINUSE: 'busy',
};

/** Our code for an errno name (`io` for any not listed). */
export function codeOfErrno(errno: string): ErrorCode {
  return ERRNO_CODES[errno] ?? 'io';
}

/** The errno name of a Node system error, or undefined. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Translate a system error into an AgentError; an AgentError passes through unchanged. */
export function fromErrno(e: unknown, what: string): AgentError {
  if (e instanceof AgentError) return e;
  const errno = errnoOf(e);
  const code = errno === undefined ? 'io' : codeOfErrno(errno);
  const detail = e instanceof Error ? e.message : String(e);
  return new AgentError(code, `${what}: ${errno ?? detail}`, e);
}

let systemWording: Map<string, string> | undefined;

/**
 * Like `fromErrno`, with the system's wording before the errno name — `http.listen 127.0.0.1:8780:
 * address already in use (EADDRINUSE)` — for the messages a person reads when the daemon cannot start.
 * The wording is libuv's (util.getSystemErrorMap), the same Node puts in its own messages.
 */
export function fromErrnoWorded(e: unknown, what: string): AgentError {
  const errno = errnoOf(e);
  if (e instanceof AgentError || errno === undefined) return fromErrno(e, what);
  systemWording ??= new Map([...getSystemErrorMap().values()]);
  const wording = systemWording.get(errno);
  if (wording === undefined) return fromErrno(e, what);
  return new AgentError(codeOfErrno(errno), `${what}: ${wording} (${errno})`, e);
}

/** The same error with more context in front: `control.socket` + `/run/x.sock: …`. */
export function inContext(e: unknown, context: string): AgentError {
  return new AgentError(e instanceof AgentError ? e.code : 'io', `${context} ${describe(e)}`, e);
}

/** A one-line message for logs and replies, whatever was thrown. */
export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
