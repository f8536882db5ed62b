/**
 * The client's coordinate space: what `mouse_move X Y` is measured in. It is a property of the
 * client, not of the SUT's screen: os-autoinst scales every captured frame to XRES×YRES (default
 * 1024×768) before matching needles (`backend/baseclass.pm`, enqueue_screenshot) and sends every
 * pointer position in that space (`consoles/video_base.pm`, mouse_width/mouse_height), whatever
 * mode the SUT runs. The absolute pointer's logical range covers the whole screen of any host, so
 * the space maps onto it without knowing the capture mode: (0,0) and (W-1,H-1) are the SUT's corners.
 */

export interface ScreenSize {
  width: number;
  height: number;
}

/** Bounds of a client space (`hid.screen_width/height`, the `screen W H` command). */
export const SPACE_MIN = 16;
export const SPACE_MAX = 8192;

/** A position clamped into a space: past the right or bottom edge is the edge. */
export function clampToSpace(x: number, y: number, space: ScreenSize): { x: number; y: number } {
  const clamp = (v: number, size: number) => Math.min(size - 1, Math.max(0, Math.round(v)));
  return { x: clamp(x, space.width), y: clamp(y, space.height) };
}
