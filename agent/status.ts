/**
 * The agent's state as one document: the `status` control command, `GET /api/status` and the
 * status page all show this (README "Control protocol", `status`).
 */
import type { VideoDeviceStatus } from './compose/video';
import type { LunStatus } from './gadget/storage';
import type { UsbSessionStatus } from './gadget/usb-session';
import type { LeaseStatus } from './handoff/lease';
import type { LedState } from './hid/reports';
import type { PointerPosition } from './hid/service';
import type { ScreenSize } from './hid/space';
import type { FetchEntry } from './kickstart/fetch-log';
import type { SutStatus } from './sim/sut';
import type { FrameHub } from './video/frame-hub';

export interface AgentStatus {
  agent: { version: string; simulated: boolean; since: string };
  /** null without hand-off (`handoff.enabled: false`) */
  lease: LeaseStatus | null;
  control: { clients: number };
  usb: UsbSessionStatus;
  hid: {
    /** the space a connection starts with (`hid.screen_width`×`hid.screen_height`) */
    space: ScreenSize;
    /** each open connection's space (`screen W H`) */
    clientSpaces: ScreenSize[];
    /** the last move, in the space it was made in */
    pointer: PointerPosition;
    leds: LedState;
  };
  /** [] while the gadget is down */
  storage: LunStatus[];
  video: {
    source: string;
    signal: ReturnType<FrameHub['signalReport']>;
    /** the capture mode, null without a signal */
    mode: ScreenSize | null;
    subscribers: number;
    device: VideoDeviceStatus;
  };
  kickstart: { fetches: FetchEntry[] };
  /** the virtual SUT, only with `--simulate` */
  sim?: SutStatus;
}

/** Where each part of the document comes from. */
export interface StatusSources {
  version: string;
  since: Date;
  /** `video.source` as configured, or 'sim' */
  videoSource: string;
  lease: { status(): LeaseStatus } | null;
  controlClients: () => number;
  usb: { status(): Promise<UsbSessionStatus>; storageStatus(): Promise<LunStatus[]> };
  sessions: { initialSpace(): ScreenSize; spaces(): ScreenSize[] };
  hid: { pointerPosition(): PointerPosition; ledState(): LedState };
  hub: Pick<FrameHub, 'signal' | 'signalReport' | 'subscriberCount'>;
  video: { status(): VideoDeviceStatus };
  fetchLog: { entries(): FetchEntry[] };
  sut: { status(): SutStatus } | null;
}

export async function agentStatus(s: StatusSources): Promise<AgentStatus> {
  const signal = s.hub.signal();
  return {
    agent: { version: s.version, simulated: s.sut !== null, since: s.since.toISOString() },
    lease: s.lease?.status() ?? null,
    control: { clients: s.controlClients() },
    usb: await s.usb.status(),
    hid: {
      // `mouse_move` is in the client's space (`screen W H` per connection), whatever the capture mode.
      space: s.sessions.initialSpace(),
      clientSpaces: s.sessions.spaces(),
      pointer: s.hid.pointerPosition(),
      leds: s.hid.ledState(),
    },
    storage: await s.usb.storageStatus(),
    video: {
      source: s.videoSource,
      signal: s.hub.signalReport(),
      mode: signal.online && signal.width && signal.height ? { width: signal.width, height: signal.height } : null,
      subscribers: s.hub.subscriberCount,
      device: s.video.status(),
    },
    kickstart: { fetches: s.fetchLog.entries() },
    ...(s.sut ? { sim: s.sut.status() } : {}),
  };
}
