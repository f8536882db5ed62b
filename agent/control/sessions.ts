/**
 * Per-connection settings of the control protocol. Today one: the coordinate space `mouse_move`
 * is measured in (`screen W H`), because it belongs to the client — an os-autoinst job with
 * XRES=1280 and a person's `ctl` on the same agent each keep their own — and it is forgotten when
 * the connection closes, so the next job starts from `hid.screen_width`×`hid.screen_height`.
 */
import type { ScreenSize } from '../hid/space';

export interface ControlSession {
  /** The space this connection's `mouse_move` positions are in. */
  space: ScreenSize;
  /** The connection closed: forget its settings. Idempotent. */
  close(): void;
}

export class ControlSessions {
  private readonly open = new Set<ControlSession>();

  constructor(private readonly defaultSpace: ScreenSize) {}

  /** A connection opened; `onClose` runs once when its session is closed. */
  start(onClose: () => void = () => undefined): ControlSession {
    const sessions = this.open;
    const session: ControlSession = {
      space: { ...this.defaultSpace },
      close: () => {
        if (sessions.delete(session)) onClose();
      },
    };
    sessions.add(session);
    return session;
  }

  /** The space a connection starts with. */
  initialSpace(): ScreenSize {
    return { ...this.defaultSpace };
  }

  /** The space of every open connection (for status). */
  spaces(): ScreenSize[] {
    return [...this.open].map((s) => ({ ...s.space }));
  }
}
