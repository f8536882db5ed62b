/**
 * The daemon's replies to `video timings|query|apply|edid` (agent/control/reply.ts: `ok`,
 * `ok <JSON>`, `error: <code> <message>`), parsed for the v4l2-ctl shim, and turned back into the
 * errno the driver returned, so the shim can print v4l2-ctl's `strerror()` text.
 */
import type { BtTimings } from '../capture/timings';
import { isKnownErrno } from './v4l2ctl-format';

interface OkReply {
  kind: 'ok';
  state: string | undefined;
  timings: BtTimings | undefined;
}
export interface ErrorReply {
  kind: 'error';
  code: string;
  message: string;
}
export type DaemonReply = OkReply | ErrorReply;

const TIMING_NUMBERS = [
  'width',
  'height',
  'pixelclock',
  'hfrontporch',
  'hsync',
  'hbackporch',
  'vfrontporch',
  'vsync',
  'vbackporch',
  'ilVfrontporch',
  'ilVsync',
  'ilVbackporch',
] as const;

/** `ok`, `ok {"state":…,"timings":{…}}` or `error: <code> <message>` (agent/control/reply.ts). */
export function parseReply(line: string): DaemonReply {
  const error = /^error: (\S+) ?(.*)$/.exec(line);
  if (error) return { kind: 'error', code: error[1]!, message: error[2]! };
  if (line === 'ok') return { kind: 'ok', state: undefined, timings: undefined };
  if (!line.startsWith('ok ')) throw new Error(`unexpected reply ${JSON.stringify(line.slice(0, 80))}`);
  const value = JSON.parse(line.slice(3)) as { state?: unknown; timings?: unknown } | null;
  const state = typeof value?.state === 'string' ? value.state : undefined;
  return { kind: 'ok', state, timings: value?.timings === undefined ? undefined : toTimings(value.timings) };
}

function toTimings(raw: unknown): BtTimings {
  const o = raw as Record<string, unknown>;
  const bad = TIMING_NUMBERS.find((k) => typeof o?.[k] !== 'number' || !Number.isFinite(o[k]));
  if (bad) throw new Error(`the agent's timings lack a numeric ${bad}`);
  const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);
  return {
    width: num('width'),
    height: num('height'),
    interlaced: o.interlaced === true,
    hsyncPositive: o.hsyncPositive === true,
    vsyncPositive: o.vsyncPositive === true,
    pixelclock: num('pixelclock'),
    hfrontporch: num('hfrontporch'),
    hsync: num('hsync'),
    hbackporch: num('hbackporch'),
    vfrontporch: num('vfrontporch'),
    vsync: num('vsync'),
    vbackporch: num('vbackporch'),
    ilVfrontporch: num('ilVfrontporch'),
    ilVsync: num('ilVsync'),
    ilVbackporch: num('ilVbackporch'),
    standards: num('standards'),
    flags: num('flags'),
  };
}

/** The signal states of agent/capture/v4l2/v4l2-errors.ts, back to the errno the driver returned. */
const STATE_ERRNO: Readonly<Record<string, string>> = {
  'no-signal': 'ENOLINK',
  'no-sync': 'ENOLCK',
  'out-of-range': 'ERANGE',
  busy: 'EBUSY',
  'no-device': 'ENODEV',
};

/** AgentError codes back to a representative errno, when the message names none. */
const CODE_ERRNO: Readonly<Record<string, string>> = {
  busy: 'EBUSY',
  'no-device': 'ENODEV',
  forbidden: 'EACCES',
  'not-found': 'ENODATA',
  'bad-argument': 'EINVAL',
  'not-supported': 'ENOTTY',
  timeout: 'ETIMEDOUT',
};

export function errnoOfState(state: string | undefined): string {
  return (state && STATE_ERRNO[state]) || 'EIO';
}

/** The first errno name in the message (V4l2Error: `VIDIOC_X: ENOLINK`), a state word, or the code's. */
export function errnoOfError(reply: ErrorReply): string {
  const named = reply.message.match(/\bE[A-Z0-9]{2,}\b/g)?.find(isKnownErrno);
  if (named) return named;
  const state = Object.keys(STATE_ERRNO).find((s) => reply.message.includes(s) || reply.code === s);
  if (state) return STATE_ERRNO[state]!;
  return CODE_ERRNO[reply.code] ?? 'EIO';
}
