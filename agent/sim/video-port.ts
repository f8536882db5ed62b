/**
 * The simulated PiKVM's DV timings and EDID (`VideoPort`), derived from the virtual SUT the way a
 * TC358743 sees a real machine: a powered-off SUT sends nothing (`no-signal`, ENOLINK); a powered
 * one sends its current mode with standard timings — DMT where the standard has the mode, CVT
 * otherwise, or exactly the preferred detailed timing of the EDID we present when the SUT runs
 * that mode. Loading an EDID is a hot-plug: like a real source reading the new EDID, the SUT
 * switches to its preferred mode.
 */
import { AgentError, describe } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { VideoPort } from '../control/dispatcher';
import type { BtTimings, TimingsQuery } from '../capture/capture-device';
import { parseEdid } from '../edid';
import { btTimingsOf, timingsForMode } from '../capture/owner/bt-timings';
import { loadEdidFile } from '../capture/owner/edid-file';
import { NoSignalError } from '../capture/owner/no-signal-error';
import { DMT_1024X768_60 } from '../capture/timings';

export interface SimVideoPortDeps {
  sut: {
    mode(): { width: number; height: number };
    isPowered(): boolean;
    setMode(width: number, height: number): void;
  };
  /** the configured EDID (`video.edid`), loaded by `setEdid(null)` */
  edidFile: string;
  logger?: Logger;
}

export class SimVideoPort implements VideoPort {
  private readonly log: Logger;
  /** what the receiver is set to (G_DV_TIMINGS); vivid and tc358743 start at 1024x768 or their preset */
  private applied: BtTimings = { ...DMT_1024X768_60 };
  private preferred: BtTimings | undefined;
  private edidFile: string | undefined;

  constructor(private readonly deps: SimVideoPortDeps) {
    this.log = deps.logger ?? silentLogger;
  }

  /** The EDID file loaded last, if any. */
  get edid(): string | undefined {
    return this.edidFile;
  }

  async timings(): Promise<{ state: TimingsQuery['state']; timings: BtTimings }> {
    const q = this.sourceTimings();
    return { state: q.state, timings: { ...this.applied } };
  }

  async query(): Promise<TimingsQuery> {
    return this.sourceTimings();
  }

  async apply(): Promise<TimingsQuery> {
    const q = this.sourceTimings();
    if (q.state !== 'online') throw new NoSignalError(q.state);
    this.applied = { ...q.timings };
    return q;
  }

  async setEdid(path: string | null): Promise<void> {
    const file = path ?? this.deps.edidFile;
    const bytes = await loadEdidFile(file);
    const parsed = parseEdid(bytes);
    const preferred = parsed.preferred?.timing;
    this.edidFile = file;
    this.preferred = preferred ? btTimingsOf(preferred) : undefined;
    if (!preferred) return;
    const mode = this.deps.sut.mode();
    if (mode.width === preferred.hActive && mode.height === preferred.vActive) return;
    try {
      this.deps.sut.setMode(preferred.hActive, preferred.vActive);
      this.log.info('virtual SUT follows the EDID', { width: preferred.hActive, height: preferred.vActive });
    } catch (e) {
      throw new AgentError('internal', `virtual SUT refused mode ${preferred.hActive}x${preferred.vActive}: ${describe(e)}`, e);
    }
  }

  private sourceTimings(): TimingsQuery {
    if (!this.deps.sut.isPowered()) return { state: 'no-signal' };
    const { width, height } = this.deps.sut.mode();
    const p = this.preferred;
    const timings = p && p.width === width && p.height === height ? { ...p } : timingsForMode(width, height);
    return { state: 'online', timings };
  }
}
