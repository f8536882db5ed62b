/**
 * What differs between a real PiKVM and the simulated one: where configfs, sysfs and the hidg
 * nodes come from, how units are started and stopped, and where frames come from.
 */
import type { AgentConfig } from '../config';
import type { ConfigFs } from '../gadget/configfs';
import { NodeConfigFs } from '../gadget/node-configfs';
import { NodeSysFs, type SysFs } from '../gadget/sysfs';
import type { ServiceManager } from '../handoff/service-manager';
import { SystemctlServiceManager } from '../handoff/systemctl';
import type { HidDeviceOpener } from '../hid/device';
import type { ScreenSize } from '../hid/space';
import { HidgOpener } from '../hid/hidg';
import type { Logger } from '../log';
import type { Paths } from '../platform/paths';
import { SimulatedPikvm } from '../sim/pikvm';
import { SimServiceManager } from '../sim/service-manager';

export interface Hardware {
  configfs: ConfigFs;
  sysfs: SysFs;
  opener: HidDeviceOpener;
  services: ServiceManager;
  sim: SimulatedPikvm | null;
}

export function realHardware(paths: Paths, config: AgentConfig, logger: Logger): Hardware {
  return {
    configfs: new NodeConfigFs(paths.configfsRoot),
    sysfs: new NodeSysFs(paths.sysfsRoot),
    opener: new HidgOpener(paths, config.gadget.name),
    services: new SystemctlServiceManager({ logger: logger.child('systemctl') }),
    sim: null,
  };
}

/** `screen`: the virtual SUT's first mode (service-options.ts `configuredSpace`). */
export function simulatedHardware(screen: ScreenSize): Hardware {
  const sim = new SimulatedPikvm({ screen });
  return {
    configfs: sim.kernel.configfs,
    sysfs: sim.kernel.sysfs,
    opener: sim.opener,
    services: new SimServiceManager(),
    sim,
  };
}
