/**
 * Ownership of the HDMI capture device for the length of a lease: the EDID presented to the source,
 * the DV timings the receiver is set to, and the capture stream.
 *
 * take: open → save the receiver's EDID to `<runDir>/original-edid.bin` → load ours → query and
 * apply DV timings (no signal is a state, not a failure) → lend the device to the capture source,
 * which follows source changes from then on (agent/video/sources/v4l2.ts).
 * give: stop capture → restore the saved EDID and delete the file → close. It works from the file,
 * not from memory, so it is idempotent and a fresh owner after a crash restores what the crashed
 * one saved (kvmd restores its own EDID only when kvmd-tc358743 runs again, at boot).
 */
import { AgentError, describe, isAgentError } from '../../errors';
import type { Logger } from '../../log';
import { silentLogger } from '../../log';
import type { TakeoverStep } from '../../handoff/takeover-plan';
import type { VideoPort } from '../../control/dispatcher';
import type { BtTimings, CaptureDevice, SignalState, TimingsQuery } from '../capture-device';
import { refreshRate } from '../timings';
import { V4l2FrameSource, queryAndApply } from '../../video/sources/v4l2';
import { SavedEdid, loadEdidFile } from './edid-file';
import { NoSignalError } from './no-signal-error';

export { NoSignalError } from './no-signal-error';

export interface VideoOwnerDeps {
  /** A new, unopened capture device (e.g. `() => new V4l2CaptureDevice(config.video.device)`). */
  openDevice: () => CaptureDevice;
  /** The configured EDID (`video.edid`), hex text or binary. */
  edidFile: string;
  runDir: string;
  /** The capture source the frame hub reads; the owner lends it the device while it holds it. */
  source: V4l2FrameSource;
  logger?: Logger;
  /** wall clock, ms */
  now?: () => number;
}

/** The timings part of `status`. */
interface TimingsSummary {
  width: number;
  height: number;
  /** frames per second, two decimals, as v4l2-ctl prints it */
  refresh: number;
  pixelclock: number;
}

export interface VideoOwnerStatus {
  taken: boolean;
  signal: SignalState;
  timings: TimingsSummary | null;
  /** ISO time of the last change of signal state or timings */
  changedAt: string;
  edid: {
    /** the EDID file we load (or loaded) */
    ours: string;
    /** whether the receiver's original EDID is saved, waiting to be restored */
    originalSaved: boolean;
  };
}

export type TimingsReply = { state: SignalState; timings?: BtTimings };


function sameTimings(a: BtTimings | undefined, b: BtTimings | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}

export class VideoOwner implements VideoPort {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly saved: SavedEdid;
  private device: CaptureDevice | undefined;
  private ourEdidFile: string;
  private signal: SignalState = 'no-device';
  private current: BtTimings | undefined;
  private changedAt: number;
  /** The last mode logged (a mode change is worth a line; the HID pointer does not depend on it). */
  private mode: { width: number; height: number } | undefined;
  private originalSaved = false;

  constructor(private readonly deps: VideoOwnerDeps) {
    this.log = deps.logger ?? silentLogger;
    this.now = deps.now ?? Date.now;
    this.saved = new SavedEdid(deps.runDir);
    this.ourEdidFile = deps.edidFile;
    this.changedAt = this.now();
  }

  takeoverStep(): TakeoverStep {
    return { name: 'video', video: true, take: () => this.take(), give: () => this.give() };
  }

  async take(): Promise<void> {
    if (this.device) return;
    const ours = await loadEdidFile(this.ourEdidFile); // refuse a bad file before touching the receiver
    const device = this.deps.openDevice();
    await device.open();
    this.device = device;
    try {
      if (await this.hasEdid(device)) {
        if ((await this.saved.read()) === undefined) {
          await this.saved.write(await device.getEdid());
        } else {
          // A previous agent took the device and never gave it back: the file holds the real original.
          this.log.info('original EDID already saved by an earlier take; keeping it', { file: this.saved.file });
        }
        this.originalSaved = true;
        await device.setEdid(ours);
        this.log.info('EDID loaded', { file: this.ourEdidFile, bytes: ours.length });
      }
      await this.negotiate(device);
      await this.deps.source.attach(device, (d) => this.negotiate(d));
    } catch (e) {
      this.log.warn('taking the capture device failed; giving it back', { error: describe(e) });
      await this.give().catch((g: unknown) => this.log.error('giving back failed', { error: describe(g) }));
      throw e;
    }
  }

  async give(): Promise<void> {
    await this.deps.source.detach();
    let device = this.device;
    this.device = undefined;
    try {
      const original = await this.saved.read();
      if (original !== undefined) {
        if (!device) {
          device = this.deps.openDevice();
          try {
            await device.open();
          } catch (e) {
            if (!isAgentError(e, 'no-device') && !isAgentError(e, 'not-found')) throw e;
            // Nothing to restore to; the file stays so that a later give() still can.
            this.log.warn('capture device absent; original EDID kept for later', { file: this.saved.file });
            return;
          }
        }
        await device.setEdid(original);
        await this.saved.remove();
        this.log.info('original EDID restored', { bytes: original.length });
      }
      this.originalSaved = false;
    } finally {
      await device?.close();
      this.record({ state: 'no-device' });
    }
  }

  status(): VideoOwnerStatus {
    const t = this.current;
    return {
      taken: this.device !== undefined,
      signal: this.signal,
      timings: t && this.signal === 'online' ? summarize(t) : null,
      changedAt: new Date(this.changedAt).toISOString(),
      edid: { ours: this.ourEdidFile, originalSaved: this.originalSaved },
    };
  }

  // ---- VideoPort ----

  /** VIDIOC_G_DV_TIMINGS, with the signal state. */
  async timings(): Promise<TimingsReply> {
    const timings = await this.requireDevice('timings').getDvTimings();
    return { state: this.signal, timings };
  }

  /** VIDIOC_QUERY_DV_TIMINGS: what the source sends now. */
  async query(): Promise<TimingsQuery> {
    return this.requireDevice('query').queryDvTimings();
  }

  /** Query and apply (capture is stopped and restarted around S_DV_TIMINGS). */
  async apply(): Promise<TimingsQuery> {
    this.requireDevice('apply');
    const q = await this.deps.source.renegotiate();
    if (q.state !== 'online') throw new NoSignalError(q.state);
    return q;
  }

  /** Load an EDID file (validated first), or the configured one for null. Remembered for the next take. */
  async setEdid(path: string | null): Promise<void> {
    const file = path ?? this.deps.edidFile;
    const bytes = await loadEdidFile(file);
    this.ourEdidFile = file;
    if (!this.device) return;
    // Capture is stopped around S_EDID (vivid refuses it while streaming: vivid-vid-cap.c
    // vidioc_s_edid, EBUSY); a new EDID is a hot-plug for the source, which may answer with
    // another mode, so the timings are queried again afterwards.
    await this.deps.source.renegotiate((device) => device.setEdid(bytes));
    this.log.info('EDID loaded', { file, bytes: bytes.length });
  }

  // ---- internals ----

  /** USB grabbers keep their EDID in their own firmware: G_EDID is ENOTTY (`not-supported`). */
  private async hasEdid(device: CaptureDevice): Promise<boolean> {
    try {
      await device.getEdid();
      return true;
    } catch (e) {
      if (!isAgentError(e, 'not-supported')) throw e;
      this.log.info('the capture device has no EDID of its own; leaving it alone');
      return false;
    }
  }

  private requireDevice(what: string): CaptureDevice {
    if (!this.device) throw new AgentError('no-device', `${what}: the capture device is not taken (no lease)`);
    return this.device;
  }

  /** Query and apply; the capture source calls this on every re-negotiation. */
  private async negotiate(device: CaptureDevice): Promise<TimingsQuery> {
    const q = await queryAndApply(device);
    this.record(q.state === 'online' ? { state: 'online', timings: q.timings } : { state: q.state });
    return q;
  }

  private record(r: { state: SignalState; timings?: BtTimings }): void {
    const timings = r.timings ?? this.current;
    if (r.state === this.signal && sameTimings(timings, this.current)) return;
    if (r.state !== this.signal) this.log.info('video signal', { state: r.state });
    this.signal = r.state;
    this.current = timings;
    this.changedAt = this.now();
    if (r.state === 'online' && r.timings) {
      const { width, height } = r.timings;
      if (this.mode?.width !== width || this.mode?.height !== height) {
        this.mode = { width, height };
        this.log.info('capture mode', { width, height });
      }
    }
  }
}

function summarize(t: BtTimings): TimingsSummary {
  return { width: t.width, height: t.height, refresh: Math.round(refreshRate(t) * 100) / 100, pixelclock: t.pixelclock };
}
