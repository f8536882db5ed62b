/**
 * The frame source the configuration asks for. The simulated PiKVM renders its virtual SUT; the
 * real sources (V4L2 capture, ustreamer) are built here once they exist for this build.
 */
import { EventEmitter } from 'node:events';
import type { AgentConfig } from '../config';
import type { Logger } from '../log';
import type { SimulatedPikvm } from '../sim/pikvm';
import type { FrameSource, FrameSourceEvents } from '../video/frame';
import { SimulatedHdmiSource } from '../video/sources/sim-hdmi';

/** A source that has no device: the hub keeps serving its marked placeholder. */
class AbsentSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  constructor(private readonly reason: string) {
    super();
  }

  async start(): Promise<void> {
    this.emit('state', { online: false, reason: this.reason, changedAt: Date.now() });
  }

  async stop(): Promise<void> {}

  setDemand(): void {}
}

export function createFrameSource(config: AgentConfig, sim: SimulatedPikvm | null, logger: Logger): FrameSource {
  if (sim) return new SimulatedHdmiSource({ screen: () => sim.sut.screen() });
  logger.warn('no frame source for this video.source yet; serving the no-device placeholder', { source: config.video.source });
  return new AbsentSource('no-device');
}
