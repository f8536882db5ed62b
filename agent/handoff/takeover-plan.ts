/**
 * Which of PiKVM's units a lease stops, in which order, and which take-over steps it runs. Pure data;
 * `lease.ts` does the I/O.
 *
 * Stop order (start order on release is the exact reverse):
 * 1. `kvmd-vnc`, `kvmd-janus`: the VNC and WebRTC front ends are clients of kvmd and of its ustreamer
 *    (their units are only ordered `After=kvmd.service`, with no Requires/BindsTo), so they are stopped
 *    first — otherwise they sit in reconnect loops against a missing kvmd — and started last.
 * 2. `kvmd`: frees HID writes, the MSD media and the capture device (ustreamer is kvmd's child and
 *    exits with it, `--exit-on-parent-death`).
 * 3. `kvmd-otg`: its stop action unbinds and removes kvmd's gadget; only one gadget can be bound to the
 *    UDC, so ours cannot bind before this (the UDC write fails with EBUSY).
 * Only units that were active are stopped, and only those are started again.
 * `kvmd-tc358743`, `kvmd-nginx` and `kvmd-watchdog` are never in these lists (see PROTECTED_UNITS).
 *
 * Cooperative video (`handoff.cooperative_video: true`) keeps the web UI alive during a test:
 * - only `kvmd-otg` is stopped (our gadget needs the UDC); `kvmd`, its ustreamer and the front ends
 *   keep running, and the agent reads frames from ustreamer's socket instead of the capture device;
 * - take-over steps marked `video: true` (open the capture device, load our EDID) are skipped;
 * - consequences while the lease is held: kvmd's own HID and MSD are offline in the web UI (its
 *   gadget is gone), and since udev names hidg nodes `/dev/kvmd-hid-*` by minor, whatever kvmd writes
 *   from a human typing in the web UI reaches the SUT through our gadget: hands off the web UI's
 *   keyboard during a test. The EDID stays kvmd's (1280x720 or 1920x1080), not 1024x768.
 */
export const FRONT_END_UNITS: readonly string[] = ['kvmd-vnc', 'kvmd-janus'];
export const KVMD_UNIT = 'kvmd';
export const OTG_UNIT = 'kvmd-otg';

/** The units a lease considers stopping, in stop order. */
export function unitsToStop(cooperativeVideo: boolean): string[] {
  return cooperativeVideo ? [OTG_UNIT] : [...FRONT_END_UNITS, KVMD_UNIT, OTG_UNIT];
}

/**
 * One thing the agent takes from PiKVM after kvmd let go (build the gadget; open the capture device
 * and load our EDID) and gives back on release.
 *
 * `give()` must be idempotent and safe after a partial or failed `take()`, and after a restart of the
 * agent (it is then called on a fresh object, with only the lease file to go by): teardown works from
 * what is observed (the configfs tree, the saved original EDID), not from memory.
 */
export interface TakeoverStep {
  name: string;
  /** Part of taking the capture device: skipped in cooperative video mode. */
  video?: boolean;
  take(): Promise<void>;
  give(): Promise<void>;
}

/** The steps a lease runs, in take order. */
export function stepsToTake(steps: readonly TakeoverStep[], cooperativeVideo: boolean): TakeoverStep[] {
  return steps.filter((s) => !(cooperativeVideo && s.video === true));
}
