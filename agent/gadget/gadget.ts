/**
 * The gadget's lifecycle: build it, bind it, replug it, tear it down from any state.
 */
import { AgentError, describe, fromErrno } from '../errors';
import type { Logger } from '../log';
import { applyAll, applyEach, leftoverPaths, observeGadget, type OpFailure } from './apply';
import type { ConfigFs } from './configfs';
import { gadgetPath, planRelink, planSetup, planTeardown } from './plan';
import { buildGadgetSpec, resolveGadgetOptions, type GadgetOptions, type GadgetSpec } from './spec';
import type { SysFs } from './sysfs';
import { bindUdc, discoverUdc, isHostConfigured, readHostState, unbindUdc, type HostState } from './udc';

export interface GadgetDeps {
  configfs: ConfigFs;
  sysfs: SysFs;
  options?: Partial<GadgetOptions>;
  logger: Logger;
}

export interface TeardownResult {
  /** True when `usb_gadget/<name>` no longer exists. */
  clean: boolean;
  /** Ops that failed (each was tried independently). */
  failures: OpFailure[];
  /** Paths still present after the last pass. */
  leftovers: string[];
}

export interface GadgetStatus {
  name: string;
  exists: boolean;
  bound: boolean;
  udc: string | null;
  hostState: HostState | null;
  hostOnline: boolean;
  functions: string[];
}

/** A teardown pass can unblock the next one (e.g. an unbind that raced); stop when nothing changes. */
const MAX_TEARDOWN_PASSES = 3;

export class Gadget {
  private spec: GadgetSpec | null = null;
  private udc: string | null = null;

  constructor(private readonly deps: GadgetDeps) {}

  private get log(): Logger {
    return this.deps.logger;
  }

  /** The spec (options resolved and validated on first use). */
  getSpec(): GadgetSpec {
    this.spec ??= buildGadgetSpec(resolveGadgetOptions(this.deps.options));
    return this.spec;
  }

  get name(): string {
    return this.getSpec().name;
  }

  /** Build and bind. Idempotent; a stale gadget of our name (e.g. after kill -9) is removed first. */
  async start(): Promise<void> {
    const spec = this.getSpec();
    const { configfs, sysfs } = this.deps;
    const existing = await observeGadget(configfs, spec.name);
    if (existing !== null && this.udc !== null && existing.udc === this.udc) return; // already running

    const udc = await discoverUdc(sysfs, spec.udc);
    if (existing !== null) {
      this.log.warn('stale gadget found, removing it', { gadget: spec.name, bound: existing.udc ?? 'no' });
      const result = await this.teardown();
      if (!result.clean) {
        throw new AgentError('busy', `stale gadget ${spec.name} could not be removed: ${result.leftovers.join(', ')}`);
      }
    }
    try {
      await applyAll(configfs, planSetup(spec), this.log);
      await bindUdc(configfs, spec.name, udc, this.log);
    } catch (e) {
      this.log.error('gadget setup failed, removing what was built', { error: describe(e) });
      await this.teardown();
      throw e;
    }
    this.udc = udc;
    this.log.info('gadget bound', { gadget: spec.name, udc });
  }

  /** Tear down from any state. Never throws for a partial teardown: the result says what is left. */
  async stop(): Promise<TeardownResult> {
    const result = await this.teardown();
    this.udc = null;
    if (!result.clean) this.log.warn('gadget teardown left entries', { leftovers: result.leftovers.join(' ') });
    return result;
  }

  private async teardown(): Promise<TeardownResult> {
    const { configfs } = this.deps;
    const name = this.getSpec().name;
    let failures: OpFailure[] = [];
    let observed = await observeGadget(configfs, name);
    let previous = '';
    for (let pass = 0; observed !== null && pass < MAX_TEARDOWN_PASSES; pass++) {
      const signature = leftoverPaths(observed).join('|');
      if (signature === previous) break; // the last pass removed nothing: more passes will not help
      previous = signature;
      failures = (await applyEach(configfs, planTeardown(observed), this.log)).failures;
      observed = await observeGadget(configfs, name);
    }
    return { clean: observed === null, failures: observed === null ? [] : failures, leftovers: leftoverPaths(observed) };
  }

  /**
   * A USB replug: unbind, recreate the function links (functions can stay dead otherwise,
   * pikvm/pikvm#1235), rebind to the same UDC.
   */
  async reconnect(): Promise<void> {
    const spec = this.getSpec();
    const udc = this.udc;
    if (udc === null) throw new AgentError('no-device', `gadget ${spec.name} is not started`);
    this.log.info('reconnecting gadget', { gadget: spec.name, udc });
    await unbindUdc(this.deps.configfs, spec.name, this.log);
    await applyAll(this.deps.configfs, planRelink(spec), this.log);
    await bindUdc(this.deps.configfs, spec.name, udc, this.log);
  }

  /** The UDC's state as sysfs reports it; 'not attached' when we are not bound. */
  async hostState(): Promise<HostState> {
    if (this.udc === null) return 'not attached';
    return readHostState(this.deps.sysfs, this.udc);
  }

  async isHostOnline(): Promise<boolean> {
    return isHostConfigured(await this.hostState());
  }

  /**
   * The char device number of a HID function, from its `dev` attribute (`MAJ:MIN`, f_hid.c).
   * The node is `hidg<MIN>`: the minor is the lowest free one when the function dir was made,
   * so it need not follow the instance name.
   */
  async hidDeviceNumber(functionName: string): Promise<{ major: number; minor: number }> {
    const path = gadgetPath(this.getSpec().name, 'functions', functionName, 'dev');
    let text: string;
    try {
      text = await this.deps.configfs.read(path);
    } catch (e) {
      throw fromErrno(e, `read ${path}`);
    }
    const m = /^(\d+):(\d+)\s*$/.exec(text);
    if (!m) throw new AgentError('io', `${path}: unexpected '${text.trim()}'`);
    return { major: Number(m[1]), minor: Number(m[2]) };
  }

  async status(): Promise<GadgetStatus> {
    const spec = this.getSpec();
    const observed = await observeGadget(this.deps.configfs, spec.name);
    const udc = observed?.udc ?? null;
    const hostState = udc === null ? null : await readHostState(this.deps.sysfs, udc);
    return {
      name: spec.name,
      exists: observed !== null,
      bound: udc !== null,
      udc,
      hostState,
      hostOnline: hostState !== null && isHostConfigured(hostState),
      functions: observed?.configs.flatMap((c) => c.links) ?? [],
    };
  }
}
