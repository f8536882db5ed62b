/**
 * The video side the configuration asks for:
 * - the simulated PiKVM renders its virtual SUT (timings and EDID through `SimVideoPort`);
 * - `v4l2`: the capture device is owned for the length of a lease (`VideoOwner`: our EDID loaded,
 *   DV timings applied and followed, the original EDID restored on release) and captured by
 *   `V4l2FrameSource`;
 * - `ustreamer`, or cooperative video: frames from kvmd's ustreamer snapshot socket, nothing taken.
 */
import type { AgentConfig } from '../config';
import type { VideoPort } from '../control/dispatcher';
import type { TakeoverStep } from '../handoff/takeover-plan';
import type { Logger } from '../log';
import type { Paths } from '../platform/paths';
import type { SimulatedPikvm } from '../sim/pikvm';
import { SimVideoPort } from '../sim/video-port';
import type { FrameSource } from '../video/frame';
import { VideoOwner, type VideoOwnerStatus } from '../capture/owner/video-owner';
import { SimulatedHdmiSource } from '../sim/hdmi-source';
import { UstreamerSource } from '../video/sources/ustreamer';
import { V4l2FrameSource } from '../video/sources/v4l2';
import { V4l2CaptureDevice } from '../capture/v4l2/v4l2-capture';

/** The capture side in `status`: the owned V4L2 device, ustreamer's socket, or the simulator's EDID. */
export type VideoDeviceStatus = VideoOwnerStatus | { ustreamer: string } | { edid: string | null };

export interface VideoSetup {
  source: FrameSource;
  /** Timings and EDID for `video …` commands and the v4l2-ctl shim. */
  port: VideoPort | undefined;
  /** Taking the capture device over from kvmd, as a lease step. */
  step: TakeoverStep | undefined;
  status(): VideoDeviceStatus;
}

export interface VideoSetupDeps {
  config: AgentConfig;
  paths: Paths;
  sim: SimulatedPikvm | null;
  logger: Logger;
}

export function createVideo({ config, paths, sim, logger }: VideoSetupDeps): VideoSetup {
  if (sim) {
    const port = new SimVideoPort({ sut: sim.sut, edidFile: config.video.edid, logger });
    const source = new SimulatedHdmiSource({ screen: () => sim.sut.screen(), onSignalChange: (listener) => sim.sut.onSignalChange(listener) });
    return { source, port, step: undefined, status: () => ({ edid: port.edid ?? null }) };
  }
  if (config.video.source === 'ustreamer' || config.handoff.cooperative_video) {
    const source = new UstreamerSource({ socketPath: config.video.ustreamer_socket, logger });
    return { source, port: undefined, step: undefined, status: () => ({ ustreamer: config.video.ustreamer_socket }) };
  }
  const source = new V4l2FrameSource({ logger, swapRedBlue: config.video.swap_rb });
  const owner = new VideoOwner({
    openDevice: () => new V4l2CaptureDevice(config.video.device),
    edidFile: config.video.edid,
    runDir: paths.runDir,
    source,
    logger,
  });
  return { source, port: owner, step: owner.takeoverStep(), status: () => owner.status() };
}
