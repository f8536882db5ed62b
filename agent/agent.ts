/**
 * The running agent: the order in which its parts start and stop. It is handed every part built
 * (agent/main.ts wires them from the configuration) and constructs nothing itself; `stop()`
 * releases everything `start()` opened, in reverse, and carries on past a part that fails to stop.
 */
import type { VideoSetup } from './compose/video';
import { connectionCap } from './compose/connection-budget';
import type { ControlServer } from './control/server';
import { describe, fromErrnoWorded, inContext } from './errors';
import type { UsbSession } from './gadget/usb-session';
import type { Lease } from './handoff/lease';
import type { ServiceManager } from './handoff/service-manager';
import type { HidService } from './hid/service';
import type { HttpServers } from './http/server';
import type { Logger } from './log';
import type { InstanceLock } from './platform/instance-lock';
import { openFileCount, openFileLimit } from './platform/open-files';
import type { SdNotify } from './platform/sdnotify';
import type { SimulatedPikvm } from './sim/pikvm';
import type { AgentStatus } from './status';
import type { FrameHub } from './video/frame-hub';

export interface AgentParts {
  /** One agent per run directory (platform/instance-lock.ts). */
  lock: InstanceLock;
  /** The simulated PiKVM with `--simulate`, else null. */
  sim: SimulatedPikvm | null;
  /** systemctl on a PiKVM; the simulator's units with `--simulate`. */
  services: ServiceManager;
  session: UsbSession;
  hid: HidService;
  hub: FrameHub;
  video: VideoSetup;
  /** null without hand-off (`handoff.enabled: false`): the devices are taken at start and kept. */
  lease: Lease | null;
  control: ControlServer;
  http: HttpServers;
  notify: SdNotify;
  status: () => Promise<AgentStatus>;
  /** How many listeners share the connection budget (compose/connection-budget.ts). */
  listeners: number;
  logger: Logger;
}

export class Agent {
  constructor(private readonly parts: AgentParts) {}

  get sim(): SimulatedPikvm | null {
    return this.parts.sim;
  }

  get hub(): FrameHub {
    return this.parts.hub;
  }

  get lease(): Lease | null {
    return this.parts.lease;
  }

  get services(): ServiceManager {
    return this.parts.services;
  }

  /** The port the HTTP server bound (for tests that ask for port 0). */
  get httpPort(): number | null {
    return this.parts.http.tcpPort;
  }

  status(): Promise<AgentStatus> {
    return this.parts.status();
  }

  /**
   * All or nothing: the run directory's lock first (another live agent: fail before touching
   * anything), then every listener — HTTP before the control socket, so no client can take a device
   * from an agent that is about to fail — and only then READY. When a step fails, everything begun
   * is stopped again (sockets removed, devices given back) and the error is thrown.
   */
  async start(): Promise<void> {
    await this.parts.lock.acquire();
    try {
      await this.startLocked();
    } catch (e) {
      await this.stop().catch((cleanup) => this.parts.logger.error('cleaning up after a failed start failed', { error: describe(cleanup) }));
      throw fromErrnoWorded(e, 'start'); // an AgentError as it is; anything else becomes one too, one line
    }
  }

  private async startLocked(): Promise<void> {
    const { sim, lease, session, video, hid, hub, http, control, notify, logger } = this.parts;
    sim?.start();
    if (lease) {
      // A lease left by a crashed agent: give the devices back before anything else.
      if (await lease.recover()) logger.warn('gave back devices held by a previous run');
    } else {
      // No hand-off: take everything at start and keep it (a device not ready yet is retried on use).
      await session.start().catch((e) => logger.error('USB gadget not available yet', { error: describe(e) }));
      await video.step?.take().catch((e) => logger.error('capture device not available', { error: describe(e) }));
    }
    await hid.start();
    await hub.start();
    await this.limitConnections();
    await http.start();
    await control.start().catch((e) => {
      throw inContext(e, 'control.socket');
    });
    await notify.start();
    notify.ready('listening');
  }

  /** Caps every listener so that clients cannot use the descriptors the agent needs (connection-budget.ts). */
  private async limitConnections(): Promise<void> {
    const limit = await openFileLimit();
    const cap = connectionCap(limit, await openFileCount(), this.parts.listeners);
    if (cap === undefined) return;
    this.parts.control.limitConnections(cap);
    this.parts.http.limitConnections(cap);
    this.parts.logger.debug('connections per listener capped', { open_file_limit: limit, cap });
  }

  /**
   * Listeners first (no new work), then the services, then the devices (keys released while the
   * gadget still exists, devices given back to kvmd), the simulator and the lock last. Every step
   * runs even when one before it failed; the first failure is thrown at the end.
   */
  async stop(): Promise<void> {
    const { control, http, hub, hid, lease, video, session, notify, sim, lock, logger } = this.parts;
    const failures: unknown[] = [];
    const step = async (what: string, run: () => unknown) => {
      try {
        await run();
      } catch (e) {
        failures.push(e);
        logger.error(`stopping ${what} failed`, { error: describe(e) });
      }
    };
    notify.stopping('stopping');
    await step('the control socket', () => control.stop());
    await step('HTTP', () => http.stop());
    await step('the frame hub', () => hub.stop());
    await step('HID', () => hid.stop()); // releases every key and button while the gadget still exists
    if (lease) await step('the lease', () => lease.stop());
    else await video.step?.give().catch((e) => logger.error('giving the capture device back failed', { error: describe(e) }));
    await step('the USB gadget', async () => {
      const teardown = await session.stop();
      if (!teardown.clean) logger.warn('gadget left behind', { leftovers: teardown.leftovers.join(' ') });
    });
    await step('sd_notify', () => notify.stop());
    await step('the simulator', () => sim?.stop());
    await step('the instance lock', () => lock.release());
    if (failures.length > 0) throw failures[0];
  }
}
