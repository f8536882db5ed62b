/**
 * Executes parsed control commands against the agent's services and turns every outcome into
 * exactly one reply line. All commands, from every connection, run one at a time in arrival order,
 * so a combo or a `type` from one client never interleaves with another client's reports.
 */
import { AgentError } from '../errors';
import type { ScreenSize } from '../hid/space';
import type { Logger } from '../log';
import { Mutex } from './mutex';
import { type Command, parseCommand } from './protocol';
import { errorReply, okReply } from './reply';
import type { ControlSession, ControlSessions } from './sessions';

/** Keyboard and pointer, as the HID service offers them. */
export interface InputPort {
  key(combo: string): Promise<void>;
  typeText(text: string): Promise<void>;
  /** (x, y) in the client's coordinate space `space`, not in the SUT's mode. */
  pointerMove(x: number, y: number, space: ScreenSize): Promise<void>;
  pointerButtons(mask: number): Promise<void>;
  wheel(delta: number): Promise<void>;
  /** Release every key and button; must not throw. */
  releaseAll(): Promise<void>;
}

export interface GadgetPort {
  /** A USB replug: unbind, recreate the function links, rebind. */
  reconnect(): Promise<void>;
}

export interface StoragePort {
  attach(lun: number, path: string, options: { cdrom: boolean; readOnly: boolean }): Promise<void>;
  eject(lun: number): Promise<void>;
  status(): Promise<unknown>;
}

/** The simulated PiKVM's view of its virtual SUT (only with `serve --simulate`). */
export interface SimPort {
  text(): string;
  pointer(): unknown;
  events(): unknown;
  clear(): void;
  setHostOnline(online: boolean): Promise<void> | void;
  /** Switch the virtual SUT's power; returns whether it is on. */
  power(on: boolean | null): boolean;
  setMode(width: number, height: number): void;
  sut(): unknown;
}

/** The hand-off lease with kvmd (absent when `handoff.enabled` is false). */
export interface LeasePort {
  acquire(holder: string): Promise<unknown>;
  release(): Promise<void>;
  /** Called after every command: resets the idle-release timer. */
  touch(): void;
  /** Called per control connection; the returned function ends it. */
  attachClient(): () => void;
}

/**
 * The capture device's timings and EDID (absent while no video source offers them). Timings are
 * the DV timings of `capture/timings.ts`; a missing signal is a state, not an error.
 */
export interface VideoPort {
  /** The timings in use (VIDIOC_G_DV_TIMINGS). */
  timings(): Promise<unknown>;
  /** What the source sends now (VIDIOC_QUERY_DV_TIMINGS): `{state, timings?}`. */
  query(): Promise<unknown>;
  /** Query and apply (v4l2-ctl --set-dv-bt-timings query); throws when there is no signal. */
  apply(): Promise<unknown>;
  /** Load an EDID file (hex or binary), or the configured one for null. */
  setEdid(path: string | null): Promise<void>;
}

export interface KickstartPort {
  set(name: string, body: string): Promise<void>;
  list(): Promise<string[]>;
  /** Remove an uploaded template. */
  delete(name: string): Promise<void>;
}

export interface DispatcherDeps {
  input: InputPort;
  gadget: GadgetPort;
  storage: StoragePort;
  status: () => Promise<unknown>;
  /** Per-connection settings (the coordinate space). */
  sessions: ControlSessions;
  sim?: SimPort | undefined;
  lease?: LeasePort | undefined;
  kickstart?: KickstartPort | undefined;
  video?: VideoPort | undefined;
  logger: Logger;
}

/** Commands that write HID reports: after a failure they end with an all-release. */
const INPUT_KINDS = new Set<Command['kind']>(['key', 'type', 'mouse-move', 'mouse-button', 'mouse-wheel']);

/**
 * Queries that read state and write no HID report or device: they skip the queue that keeps input
 * in arrival order, so a key never waits behind other clients' `status` floods (bench/soak), and a
 * query never waits behind a long `type`. Each connection still runs its own lines one at a time.
 */
const QUERY_KINDS = new Set<Command['kind']>([
  'ping', 'status', 'screen', 'storage-status', 'kickstart-list', 'sim-text', 'sim-pointer', 'sim-events', 'sim-sut',
]);

export class Dispatcher {
  private readonly mutex = new Mutex();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Parse and execute one line of `session`'s connection; resolves to its single reply line (without the newline). */
  handleLine(line: string, session: ControlSession): Promise<string> {
    let command: Command;
    try {
      command = parseCommand(line);
    } catch (e) {
      return Promise.resolve(errorReply(e));
    }
    if (QUERY_KINDS.has(command.kind)) return this.execute(command, session);
    return this.mutex.run(() => this.execute(command, session));
  }

  /** `kickstart set NAME` with its body (the lines after it, up to the `.` line). */
  handleBody(name: string, body: string, session: ControlSession): Promise<string> {
    return this.mutex.run(() => this.execute({ kind: 'kickstart-set', name, body }, session));
  }

  /** A control connection opened; close the returned session when it closes. */
  attachClient(): ControlSession {
    return this.deps.sessions.start(this.deps.lease?.attachClient());
  }

  /** Release everything a disconnected client may have left pressed, in turn with other commands. */
  releaseAll(): Promise<void> {
    return this.mutex.run(() => this.deps.input.releaseAll());
  }

  private async execute(command: Command, session: ControlSession): Promise<string> {
    try {
      const value = await this.run(command, session);
      return okReply(value);
    } catch (e) {
      if (INPUT_KINDS.has(command.kind)) await this.deps.input.releaseAll();
      if (!(e instanceof AgentError)) this.deps.logger.error('command failed unexpectedly', { kind: command.kind, error: String(e) });
      return errorReply(e);
    } finally {
      this.deps.lease?.touch();
    }
  }

  private async run(c: Command, session: ControlSession): Promise<unknown> {
    const { input, gadget, storage } = this.deps;
    switch (c.kind) {
      case 'key':
        return void (await input.key(c.combo));
      case 'type':
        await input.typeText(c.text);
        if (c.enter) await input.key('ret');
        return undefined;
      case 'mouse-move':
        return void (await input.pointerMove(c.x, c.y, session.space));
      case 'screen':
        if (!c.size) return { ...session.space };
        session.space = { ...c.size };
        return undefined;
      case 'mouse-button':
        return void (await input.pointerButtons(c.mask));
      case 'mouse-wheel':
        return void (await input.wheel(c.delta));
      case 'release-keys':
        return void (await input.releaseAll());
      case 'acquire':
        return this.lease().acquire(c.holder);
      case 'release':
        await input.releaseAll();
        return void (await this.lease().release());
      case 'kickstart-set':
        return void (await this.kickstart().set(c.name, c.body));
      case 'kickstart-list':
        return this.kickstart().list();
      case 'kickstart-delete':
        return void (await this.kickstart().delete(c.name));
      case 'video-timings':
        return this.video().timings();
      case 'video-query':
        return this.video().query();
      case 'video-apply':
        return this.video().apply();
      case 'video-edid':
        return void (await this.video().setEdid(c.path));
      case 'reconnect':
        await input.releaseAll();
        return void (await gadget.reconnect());
      case 'ping':
        return undefined;
      case 'status':
        return this.deps.status();
      case 'storage-attach':
        return void (await storage.attach(c.lun, c.path, { cdrom: c.cdrom, readOnly: !c.readWrite }));
      case 'storage-eject':
        return void (await storage.eject(c.lun));
      case 'storage-status':
        return storage.status();
      case 'sim-text':
        return this.sim().text();
      case 'sim-pointer':
        return this.sim().pointer();
      case 'sim-events':
        return this.sim().events();
      case 'sim-clear':
        return void this.sim().clear();
      case 'sim-host':
        return void (await this.sim().setHostOnline(c.online));
      case 'sim-power':
        return { powered: this.sim().power(c.on) };
      case 'sim-mode':
        return void this.sim().setMode(c.width, c.height);
      case 'sim-sut':
        return this.sim().sut();
    }
  }

  private lease(): LeasePort {
    return present(this.deps.lease, 'the kvmd hand-off is disabled (handoff.enabled: false)');
  }

  private video(): VideoPort {
    return present(this.deps.video, 'the video source has no DV timings or EDID');
  }

  private kickstart(): KickstartPort {
    return present(this.deps.kickstart, 'kickstart serving is not configured');
  }

  private sim(): SimPort {
    return present(this.deps.sim, 'sim commands exist only in the simulated PiKVM (serve --simulate)');
  }
}

/** An optional port, or `not-supported` naming why it is absent. */
function present<T>(port: T | undefined, whyAbsent: string): T {
  if (!port) throw new AgentError('not-supported', whyAbsent);
  return port;
}
