/**
 * The composition root: configuration → adapters (real hardware or the simulated PiKVM) →
 * services → servers, handed to an `Agent` that starts and stops them. Nothing else in the agent
 * constructs its own dependencies.
 */
import { Agent } from './agent';
import { realHardware, simulatedHardware } from './compose/hardware';
import {
  configuredSpace,
  controlServerOptions,
  gadgetOptions,
  httpSurfaceOptions,
  kickstartStoreOptions,
  leaseOptions,
  listenerCount,
  lockFile,
  storageOptions,
} from './compose/service-options';
import { createVideo } from './compose/video';
import type { AgentConfig } from './config';
import { httpToken } from './config/http-token';
import { Dispatcher } from './control/dispatcher';
import { ControlServer } from './control/server';
import { ControlSessions } from './control/sessions';
import { DeviceGuard } from './device-guard';
import { Gadget } from './gadget/gadget';
import { MassStorage } from './gadget/storage';
import { UsbSession } from './gadget/usb-session';
import { Lease } from './handoff/lease';
import { LeaseStore } from './handoff/lease-store';
import { HidService } from './hid/service';
import { createHttpSurface } from './http/surface';
import { FetchLog } from './kickstart/fetch-log';
import { KickstartStore } from './kickstart/store';
import { createLogger, type Logger, stderrSink } from './log';
import { InstanceLock } from './platform/instance-lock';
import { type Paths, SYSTEM_PATHS } from './platform/paths';
import { SdNotify } from './platform/sdnotify';
import { agentStatus } from './status';
import { AGENT_VERSION } from './version';
import { FrameHub } from './video/frame-hub';

export interface AgentOptions {
  simulate: boolean;
  /** the HTTP TCP listener's access token (agent/config/http-token.ts); default: `http.token` */
  httpToken?: string;
}

/** Kickstart fetches kept for `status` (the installer's requests, newest last). */
const FETCH_LOG_ENTRIES = 50;

/** Builds every part of the agent from the configuration; nothing is opened until `start()`. */
export function createAgent(config: AgentConfig, options: AgentOptions, logger: Logger): Agent {
  const paths: Paths = { ...SYSTEM_PATHS, runDir: config.run_dir };
  const hw = options.simulate ? simulatedHardware(configuredSpace(config)) : realHardware(paths, config, logger);
  const gadget = new Gadget({ configfs: hw.configfs, sysfs: hw.sysfs, options: gadgetOptions(config), logger: logger.child('gadget') });
  const storage = new MassStorage({ configfs: hw.configfs, ...storageOptions(config), logger: logger.child('storage') });
  const session = new UsbSession({ gadget, storage, opener: hw.opener, logger: logger.child('usb') });
  const hid = new HidService({
    keyboard: () => session.keyboard(),
    pointer: () => session.pointer(),
    isHostOnline: () => session.isHostOnline(),
    logger: logger.child('hid'),
  });
  // The pointer does not follow the capture mode: positions are in each client's space.
  const sessions = new ControlSessions(configuredSpace(config));
  const video = createVideo({ config, paths, sim: hw.sim, logger: logger.child('video') });
  const hub = new FrameHub({ source: video.source, logger: logger.child('video'), maxFps: config.video.max_fps });
  const { storeFile, ...leaseTiming } = leaseOptions(config);
  const lease = config.handoff.enabled
    ? new Lease({
        services: hw.services,
        // In take order; each give() tears down from what it finds, so it also works after a crash.
        steps: [{ name: 'usb-gadget', take: () => session.start(), give: async () => void (await session.stop()) }, ...(video.step ? [video.step] : [])],
        store: new LeaseStore(storeFile),
        logger: logger.child('lease'),
        ...leaseTiming,
      })
    : null;
  const kickstart = new KickstartStore({ ...kickstartStoreOptions(config), logger: logger.child('kickstart') });
  const fetchLog = new FetchLog(FETCH_LOG_ENTRIES);
  const guard = new DeviceGuard({ lease, session });
  // The status document reads the control server, which dispatches `status`: the cycle is closed
  // by reading the server's client count only when a status is asked for.
  let control: ControlServer | undefined;
  const since = new Date();
  const status = () =>
    agentStatus({
      version: AGENT_VERSION,
      since,
      videoSource: hw.sim ? 'sim' : config.video.source,
      lease,
      controlClients: () => control?.clientCount ?? 0,
      usb: session,
      sessions,
      hid,
      hub,
      video,
      fetchLog,
      sut: hw.sim?.sut ?? null,
    });
  const dispatcher = new Dispatcher({
    input: guard.input(hid),
    gadget: guard.gadget(),
    storage: guard.storage(storage),
    status,
    sessions,
    sim: hw.sim?.simPort(),
    lease: lease ?? undefined,
    kickstart,
    video: video.port,
    logger: logger.child('control'),
  });
  control = new ControlServer(dispatcher, controlServerOptions(config), logger.child('control'));
  const token = options.httpToken ?? config.http.token;
  const http = createHttpSurface({ hub, status, templates: kickstart, fetchLog, logger }, httpSurfaceOptions(config, token));
  return new Agent({
    lock: new InstanceLock(lockFile(config)),
    sim: hw.sim,
    services: hw.services,
    session,
    hid,
    hub,
    video,
    lease,
    control,
    http,
    notify: new SdNotify({ env: process.env, log: logger.child('systemd') }),
    status,
    listeners: listenerCount(config),
    logger,
  });
}

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
  const stopListening = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  let agent: Agent;
  try {
    agent = createAgent(config, { ...options, httpToken: await httpToken(config.http) }, logger);
    await agent.start();
  } catch (e) {
    stopListening();
    throw e;
  }
  logger.info(options.simulate ? 'running the simulated PiKVM' : 'running', { control: config.control.socket });
  const signal = await stopSignal;
  stopListening(); // the other signal's listener
  logger.info('stopping', { signal });
  await agent.stop();
  return 0;
}
