/**
 * The composition root: configuration → adapters (real hardware or the simulated PiKVM) →
 * services → servers. Nothing else in the agent constructs its own dependencies.
 */
import path from 'node:path';
import { createHttpServersFor } from './compose/http';
import { httpToken } from './config/http-token';
import { realHardware, simulatedHardware } from './compose/hardware';
import { createVideo, type VideoSetup } from './compose/video';
import { connectionCap } from './compose/connection-budget';
import type { HttpServers } from './compose/http-server';
import type { AgentConfig } from './config';
import type { InputPort, StoragePort } from './control/dispatcher';
import { Dispatcher } from './control/dispatcher';
import { ControlServer } from './control/server';
import { ControlSessions } from './control/sessions';
import { describe, fromErrnoWorded, inContext } from './errors';
import { Gadget } from './gadget/gadget';
import type { GadgetOptions } from './gadget/spec';
import { MassStorage } from './gadget/storage';
import { Lease } from './handoff/lease';
import type { ServiceManager } from './handoff/service-manager';
import { LEASE_FILE_NAME, LeaseStore } from './handoff/lease-store';
import { HidService } from './hid/service';
import { FetchLog } from './kickstart/fetch-log';
import { KickstartStore } from './kickstart/store';
import { createLogger, type Logger, stderrSink } from './log';
import { InstanceLock, LOCK_FILE_NAME } from './platform/instance-lock';
import { openFileCount, openFileLimit } from './platform/open-files';
import { type Paths, SYSTEM_PATHS } from './platform/paths';
import { SdNotify } from './platform/sdnotify';
import type { SimulatedPikvm } from './sim/pikvm';
import { UsbSession } from './usb-session';
import { FrameHub } from './video/frame-hub';

export interface AgentOptions {
  simulate: boolean;
  /** the HTTP TCP listener's access token (agent/config/http-token.ts); default: `http.token` */
  httpToken?: string;
}

function gadgetOptions(config: AgentConfig): GadgetOptions {
  const g = config.gadget;
  const s = config.storage;
  return {
    name: g.name,
    udc: g.udc,
    vendorId: g.vendor_id,
    productId: g.product_id,
    bcdDevice: g.bcd_device,
    bcdUSB: g.bcd_usb,
    manufacturer: g.manufacturer,
    product: g.product,
    serial: g.serial,
    maxPower: g.max_power,
    luns: s.luns,
    inquiry: { vendor: s.inquiry_vendor, product: s.inquiry_product, revision: s.inquiry_revision },
  };
}

export class Agent {
  readonly sim: SimulatedPikvm | null;
  readonly hub: FrameHub;
  readonly lease: Lease | null;
  /** systemctl on a PiKVM; a recording stand-in for kvmd's units in the simulator. */
  readonly services: ServiceManager;
  private readonly session: UsbSession;
  private readonly hid: HidService;
  private readonly control: ControlServer;
  /** Each control connection's coordinate space, from `hid.screen_width`×`hid.screen_height`. */
  private readonly sessions: ControlSessions;
  private readonly http: HttpServers;
  private readonly fetchLog = new FetchLog(50);
  private readonly notify: SdNotify;
  private readonly video: VideoSetup;
  /** One agent per run directory (platform/instance-lock.ts). */
  private readonly lock: InstanceLock;
  private readonly startedAt = new Date();

  constructor(
    private readonly config: AgentConfig,
    options: AgentOptions,
    private readonly logger: Logger,
  ) {
    const paths: Paths = { ...SYSTEM_PATHS, runDir: config.run_dir };
    this.lock = new InstanceLock(path.join(config.run_dir, LOCK_FILE_NAME));
    const hw = options.simulate ? simulatedHardware(config) : realHardware(paths, config, logger);
    this.sim = hw.sim;
    this.services = hw.services;
    const gadget = new Gadget({ configfs: hw.configfs, sysfs: hw.sysfs, options: gadgetOptions(config), logger: logger.child('gadget') });
    const storage = new MassStorage({
      configfs: hw.configfs,
      gadgetName: config.gadget.name,
      luns: config.storage.luns,
      imageDirs: config.storage.image_dirs,
      logger: logger.child('storage'),
    });
    const session = new UsbSession({ gadget, storage, opener: hw.opener, logger: logger.child('usb') });
    this.session = session;
    this.hid = new HidService({
      keyboard: () => session.keyboard(),
      pointer: () => session.pointer(),
      isHostOnline: () => session.isHostOnline(),
      logger: logger.child('hid'),
    });
    // The pointer does not follow the capture mode: positions are in each client's space.
    this.sessions = new ControlSessions({ width: config.hid.screen_width, height: config.hid.screen_height });
    const video = createVideo({ config, paths, sim: hw.sim, logger: logger.child('video') });
    this.video = video;
    this.hub = new FrameHub({ source: video.source, logger: logger.child('video'), maxFps: config.video.max_fps });
    this.lease = config.handoff.enabled
      ? new Lease({
          services: hw.services,
          // In take order; each give() tears down from what it finds, so it also works after a crash.
          steps: [
            { name: 'usb-gadget', take: () => session.start(), give: async () => void (await session.stop()) },
            ...(video.step ? [video.step] : []),
          ],
          store: new LeaseStore(path.join(config.run_dir, LEASE_FILE_NAME)),
          logger: logger.child('lease'),
          idleReleaseMs: config.handoff.idle_release_s * 1000,
          cooperativeVideo: config.handoff.cooperative_video,
        })
      : null;
    const ks = config.kickstart;
    const kickstart = new KickstartStore({
      dir: ks.dir,
      uploadDir: path.join(config.run_dir, 'kickstart'),
      limits: { templateBytes: ks.max_template_bytes, uploads: ks.max_uploads, uploadBytes: ks.max_upload_bytes },
      logger: logger.child('kickstart'),
    });
    const dispatcher = new Dispatcher({
      input: this.guardedInput(),
      gadget: { reconnect: async () => (await this.devicesUp(), session.reconnect()) },
      storage: this.guardedStorage(storage),
      status: () => this.status(),
      sessions: this.sessions,
      sim: hw.sim?.simPort(),
      lease: this.lease ?? undefined,
      kickstart,
      video: video.port,
      logger: logger.child('control'),
    });
    this.control = new ControlServer(
      dispatcher,
      {
        socketPath: config.control.socket,
        mode: config.control.mode,
        group: config.control.group,
        maxLine: config.control.max_line,
        maxBodyBytes: ks.max_template_bytes,
        maxConnections: config.control.max_connections,
        lineTimeoutMs: config.control.line_timeout_s * 1000,
        idleTimeoutMs: config.control.idle_timeout_s * 1000,
      },
      logger.child('control'),
    );
    this.http = createHttpServersFor(config, { hub: this.hub, status: () => this.status(), templates: kickstart, fetchLog: this.fetchLog, logger, token: options.httpToken ?? config.http.token });
    this.notify = new SdNotify({ env: process.env, log: logger.child('systemd') });
  }

  /** The port the HTTP server bound (for tests that ask for port 0). */
  get httpPort(): number | null {
    return this.http.tcpPort;
  }

  /**
   * All or nothing: the run directory's lock first (another live agent: fail before touching
   * anything), then every listener — HTTP before the control socket, so no client can take a device
   * from an agent that is about to fail — and only then READY. When a step fails, everything begun
   * is stopped again (sockets removed, devices given back) and the error is thrown.
   */
  async start(): Promise<void> {
    await this.lock.acquire();
    try {
      await this.startLocked();
    } catch (e) {
      await this.stop().catch((cleanup) => this.logger.error('cleaning up after a failed start failed', { error: describe(cleanup) }));
      throw fromErrnoWorded(e, 'start'); // an AgentError as it is; anything else becomes one too, one line
    }
  }

  private async startLocked(): Promise<void> {
    this.sim?.start();
    if (this.lease) {
      // A lease left by a crashed agent: give the devices back before anything else.
      if (await this.lease.recover()) this.logger.warn('gave back devices held by a previous run');
    } else {
      // No hand-off: take everything at start and keep it (a device not ready yet is retried on use).
      await this.session.start().catch((e) => this.logger.error('USB gadget not available yet', { error: describe(e) }));
      await this.video.step?.take().catch((e) => this.logger.error('capture device not available', { error: describe(e) }));
    }
    await this.hid.start();
    await this.hub.start();
    await this.limitConnections();
    await this.http.start();
    await this.control.start().catch((e) => {
      throw inContext(e, 'control.socket');
    });
    await this.notify.start();
    this.notify.ready('listening');
  }

  /** Caps every listener so that clients cannot use the descriptors the agent needs (connection-budget.ts). */
  private async limitConnections(): Promise<void> {
    const listeners = 1 + (this.config.http.listen !== '' ? 1 : 0) + (this.config.http.unix_socket ? 1 : 0);
    const limit = await openFileLimit();
    const cap = connectionCap(limit, await openFileCount(), listeners);
    if (cap === undefined) return;
    this.control.limitConnections(cap);
    this.http.limitConnections(cap);
    this.logger.debug('connections per listener capped', { open_file_limit: limit, cap });
  }

  async stop(): Promise<void> {
    this.notify.stopping('stopping');
    await this.control.stop();
    await this.http.stop();
    await this.hub.stop();
    await this.hid.stop(); // releases every key and button while the gadget still exists
    if (this.lease) await this.lease.stop();
    else await this.video.step?.give().catch((e) => this.logger.error('giving the capture device back failed', { error: describe(e) }));
    const teardown = await this.session.stop();
    if (!teardown.clean) this.logger.warn('gadget left behind', { leftovers: teardown.leftovers.join(' ') });
    await this.notify.stop();
    this.sim?.stop();
    await this.lock.release();
  }

  async status(): Promise<unknown> {
    const signal = this.hub.signal();
    return {
      agent: { version: AGENT_VERSION, simulated: this.sim !== null, since: this.startedAt.toISOString() },
      lease: this.lease?.status() ?? null,
      control: { clients: this.control.clientCount },
      usb: await this.session.status(),
      hid: {
        // `mouse_move` is in the client's space (`screen W H` per connection), whatever the capture mode.
        space: this.sessions.initialSpace(),
        clientSpaces: this.sessions.spaces(),
        pointer: this.hid.pointerPosition(),
        leds: this.hid.ledState(),
      },
      storage: await this.session.storageStatus(),
      video: {
        source: this.sim ? 'sim' : this.config.video.source,
        signal: this.hub.signalReport(),
        mode: signal.online && signal.width && signal.height ? { width: signal.width, height: signal.height } : null,
        subscribers: this.hub.subscriberCount,
        device: this.video.status(),
      },
      kickstart: { fetches: this.fetchLog.entries() },
      sim: this.sim ? this.sim.sut.status() : undefined,
    };
  }

  /** Devices are taken from kvmd (the lease) or the gadget is (re)built before a command uses them. */
  private async devicesUp(): Promise<void> {
    if (this.lease) await this.lease.ensure('control');
    await this.session.ensureUp();
  }

  private guardedInput(): InputPort {
    const hid = this.hid;
    const up = () => this.devicesUp();
    return {
      key: async (combo) => (await up(), hid.key(combo)),
      typeText: async (text) => (await up(), hid.typeText(text)),
      pointerMove: async (x, y, space) => (await up(), hid.pointerMove(x, y, space)),
      pointerButtons: async (mask) => (await up(), hid.pointerButtons(mask)),
      wheel: async (delta) => (await up(), hid.wheel(delta)),
      releaseAll: () => hid.releaseAll(),
    };
  }

  private guardedStorage(storage: MassStorage): StoragePort {
    return {
      attach: async (lun, file, flags) => {
        await this.devicesUp();
        await storage.attach(lun, file, flags);
      },
      eject: async (lun) => {
        await this.devicesUp();
        await storage.eject(lun);
      },
      status: () => this.session.storageStatus() as ReturnType<StoragePort['status']>,
    };
  }
}

/** The version in package.json (one level up from agent/, two from the compiled dist/agent/). */
function packageVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'pikvm-agent' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export const AGENT_VERSION = packageVersion();

/**
 * `pikvm-agent serve`: runs until SIGTERM/SIGINT, then releases everything; resolves to the exit
 * code. A failed start rejects after cleaning up (the command line prints the error on one line).
 * A signal that arrives while starting stops the agent as soon as the start is over.
 */
export async function runDaemon(config: AgentConfig, options: AgentOptions): Promise<number> {
  const logger = createLogger('pikvm-agent', stderrSink, config.log.level);
  // Listening before the start: a SIGTERM while starting must not kill the agent half-started.
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let agent: Agent;
  try {
    agent = new Agent(config, { ...options, httpToken: await httpToken(config.http) }, logger);
    await agent.start();
  } catch (e) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    throw e;
  }
  logger.info(options.simulate ? 'running the simulated PiKVM' : 'running', { control: config.control.socket });
  const signal = await stopSignal;
  logger.info('stopping', { signal });
  await agent.stop();
  return 0;
}
