/**
 * errno from a V4L2 ioctl, translated once. The HDMI receiver reports the state of the source
 * through errno (TC358743: drivers/media/i2c/tc358743.c `tc358743_query_dv_timings`; vivid:
 * drivers/media/test-drivers/vivid/vivid-vid-cap.c `vidioc_query_dv_timings`; ustreamer does the same
 * mapping in src/ustreamer/device.c): ENOLINK no signal, ENOLCK no sync, ERANGE out of range.
 * Callers switch on `SignalState`; everything else is an AgentError.
 */
import { AgentError, type ErrorCode, codeOfErrno } from '../../errors';
import type { SignalState } from '../capture-device';

const ERRNO_STATES: Readonly<Record<string, Exclude<SignalState, 'online'>>> = {
  ENOLINK: 'no-signal',
  ENOLCK: 'no-sync',
  ERANGE: 'out-of-range',
  EBUSY: 'busy',
  ENOENT: 'no-device',
  ENODEV: 'no-device',
  ENXIO: 'no-device',
};

/** The signal state an errno name stands for, or undefined when it is not a signal condition. */
function signalStateOfErrno(errno: string): Exclude<SignalState, 'online'> | undefined {
  return ERRNO_STATES[errno];
}

/**
 * Where a capture node's errno means something else than in the agent-wide table (errors.ts): a
 * missing node is an absent device, and the USB gadget's "host offline" errnos mean nothing of the
 * kind here (EAGAIN is "nothing dequeued yet", which the caller handles before it gets here).
 */
const DEVICE_NODE_CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'no-device',
  EAGAIN: 'io',
  ESHUTDOWN: 'io',
};

/**
 * A failed V4L2 call: `errno` is the name (`ENOLINK`), `state` the signal state it means, if any.
 * The code is what callers outside video switch on (`no-device`, `busy`, `bad-argument`, …).
 */
export class V4l2Error extends AgentError {
  readonly state: Exclude<SignalState, 'online'> | undefined;

  constructor(
    readonly errno: string,
    readonly call: string,
  ) {
    super(DEVICE_NODE_CODES[errno] ?? codeOfErrno(errno), `${call}: ${errno}`);
    this.name = 'V4l2Error';
    this.state = signalStateOfErrno(errno);
  }
}
