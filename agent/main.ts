/**
 * The composition root: configuration → adapters (real hardware or the simulated PiKVM) →
 * services → servers. Nothing else in the agent constructs its own dependencies.
 */
import type { AgentConfig } from './config';
import type { InputPort, StoragePort } from './control/dispatcher';
import { Dispatcher } from './control/dispatcher';
import { ControlServer } from './control/server';
import { describe } from './errors';
import type { ConfigFs } from './gadget/configfs';
import { Gadget } from './gadget/gadget';
import { NodeConfigFs } from './gadget/node-configfs';
import type { GadgetOptions } from './gadget/spec';
import { MassStorage } from './gadget/storage';
import { NodeSysFs, type SysFs } from './gadget/sysfs';
import type { HidDeviceOpener } from './hid/device';
import { HidgOpener } from './hid/hidg';
import { HidService } from './hid/service';
import { createLogger, type Logger, stderrSink } from './log';
import { type Paths, SYSTEM_PATHS } from './platform/paths';
import { SdNotify } from './platform/sdnotify';
import { SimulatedPikvm } from './sim/pikvm';
import { UsbSession } from './usb-session';

export interface AgentOptions {
  simulate: boolean;
}

/** What differs between a real PiKVM and the simulated one. */
interface Hardware {
  configfs: ConfigFs;
  sysfs: SysFs;
  opener: HidDeviceOpener;
  sim: SimulatedPikvm | null;
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

function realHardware(paths: Paths, config: AgentConfig): Hardware {
  return {
    configfs: new NodeConfigFs(paths.configfsRoot),
    sysfs: new NodeSysFs(paths.sysfsRoot),
    opener: new HidgOpener(paths, config.gadget.name),
    sim: null,
  };
}

function simulatedHardware(config: AgentConfig): Hardware {
  const sim = new SimulatedPikvm({ screen: { width: config.hid.screen_width, height: config.hid.screen_height } });
  return { configfs: sim.kernel.configfs, sysfs: sim.kernel.sysfs, opener: sim.opener, sim };
}

/** Input commands bring the USB session up first (it may have been down at start). */
function sessionInput(hid: HidService, session: UsbSession): InputPort {
  const up = async () => session.ensureUp();
  return {
    key: async (combo) => (await up(), hid.key(combo)),
    typeText: async (text) => (await up(), hid.typeText(text)),
    pointerMove: async (x, y) => (await up(), hid.pointerMove(x, y)),
    pointerButtons: async (mask) => (await up(), hid.pointerButtons(mask)),
    wheel: async (delta) => (await up(), hid.wheel(delta)),
    releaseAll: () => hid.releaseAll(),
  };
}

function sessionStorage(storage: MassStorage, session: UsbSession): StoragePort {
  return {
    attach: async (lun, path, flags) => {
      await session.ensureUp();
      await storage.attach(lun, path, flags);
    },
    eject: async (lun) => {
      await session.ensureUp();
      await storage.eject(lun);
    },
    status: () => storage.status(),
  };
}

export class Agent {
  readonly sim: SimulatedPikvm | null;
  private readonly session: UsbSession;
  private readonly hid: HidService;
  private readonly control: ControlServer;
  private readonly notify: SdNotify;
  private readonly startedAt = new Date();

  constructor(
    config: AgentConfig,
    options: AgentOptions,
    private readonly logger: Logger,
  ) {
    const paths: Paths = { ...SYSTEM_PATHS, runDir: config.run_dir };
    const hw = options.simulate ? simulatedHardware(config) : realHardware(paths, config);
    this.sim = hw.sim;
    const gadget = new Gadget({ configfs: hw.configfs, sysfs: hw.sysfs, options: gadgetOptions(config), logger: logger.child('gadget') });
    const storage = new MassStorage({
      configfs: hw.configfs,
      gadgetName: config.gadget.name,
      luns: config.storage.luns,
      imageDirs: config.storage.image_dirs,
      logger: logger.child('storage'),
    });
    this.session = new UsbSession({ gadget, storage, opener: hw.opener, logger: logger.child('usb') });
    this.hid = new HidService({
      keyboard: () => this.session.keyboard(),
      pointer: () => this.session.pointer(),
      isHostOnline: () => this.session.isHostOnline(),
      screen: { width: config.hid.screen_width, height: config.hid.screen_height },
      logger: logger.child('hid'),
    });
    const dispatcher = new Dispatcher({
      input: sessionInput(this.hid, this.session),
      gadget: { reconnect: () => this.session.reconnect() },
      storage: sessionStorage(storage, this.session),
      status: () => this.status(),
      sim: hw.sim?.simPort(),
      logger: logger.child('control'),
    });
    this.control = new ControlServer(
      dispatcher,
      { socketPath: config.control.socket, mode: config.control.mode, group: config.control.group, maxLine: config.control.max_line },
      logger.child('control'),
    );
    this.notify = new SdNotify({ env: process.env, log: logger.child('systemd') });
  }

  async start(): Promise<void> {
    this.sim?.start();
    try {
      await this.session.start();
    } catch (e) {
      // Degrade, don't die: the next command that needs the gadget tries again.
      this.logger.error('USB gadget not available yet', { error: describe(e) });
    }
    await this.hid.start();
    await this.control.start();
    await this.notify.start();
    this.notify.ready('listening');
  }

  async stop(): Promise<void> {
    this.notify.stopping('stopping');
    await this.control.stop();
    await this.hid.stop(); // releases every key and button while the gadget still exists
    const teardown = await this.session.stop();
    if (!teardown.clean) this.logger.warn('gadget left behind', { leftovers: teardown.leftovers.join(' ') });
    await this.notify.stop();
    this.sim?.stop();
  }

  async status(): Promise<unknown> {
    return {
      agent: { version: AGENT_VERSION, simulated: this.sim !== null, since: this.startedAt.toISOString() },
      usb: await this.session.status(),
      hid: { screen: this.hid.screenSize(), pointer: this.hid.pointerPosition(), leds: this.hid.ledState() },
      storage: await this.session.storageStatus(),
      sim: this.sim ? { media: this.sim.media(), hostOnline: this.sim.host.isOnline() } : undefined,
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

/** `pikvm-agent serve`: runs until SIGTERM/SIGINT, then releases everything; resolves to the exit code. */
export async function runDaemon(config: AgentConfig, options: AgentOptions): Promise<number> {
  const logger = createLogger('pikvm-agent', stderrSink, config.log.level);
  const agent = new Agent(config, options, logger);
  await agent.start();
  logger.info(options.simulate ? 'running the simulated PiKVM' : 'running', { control: config.control.socket });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info('stopping', { signal });
  await agent.stop();
  return 0;
}
