/**
 * The e2e needles: which state of the virtual SUT each one shows, and which areas must match.
 * `make-needles.ts` drives a simulated agent into each state and saves the frame as the needle's
 * PNG, so needles are pixel-exact frames of the same pipeline os-autoinst reads (rgb24 → NUT →
 * PPM is lossless). Areas are computed from the SUT's text grid and target box. The `-1080p`
 * needles show the SUT at 1920×1080 as os-autoinst matches it, scaled to XRES×YRES (1024×768), so
 * their areas are scaled too. Who scales depends on the path: the NUT stream opened at 1024×768
 * (sharp, agent/http/streams.ts) for Debian's os-autoinst, os-autoinst's tinycv
 * (`backend/baseclass.pm`, enqueue_screenshot) for native PPM frames. Scaled text differs between
 * the two (83% similar); a solid box with its edges matches either, so these needles hold only the box.
 */
import { TARGET } from '../../agent/sim/sut';

export const SCREEN = { width: 1024, height: 768 } as const;
/** The mode click_1080p.pm switches the SUT to; os-autoinst still works in SCREEN. */
export const FULL_HD = { width: 1920, height: 1080 } as const;
const GLYPH_W = 8;
const GLYPH_H = 16;

/** What typing.pm types: upper case, digits and every kind of punctuation (one line per character). */
export const TYPED_TEXT = `PiKVM Agent 42: ok? [yes] {1+1=2} ~/_-|#$%&*()<>,.;'"!@^\`\\ done`;
/** Flash names the image `openqa-lun<N>-<basename of HDD_N>` in the agent's image directory. */
export const DISK_NAME = 'disk.img';
export const FLASHED_NAME = `openqa-lun0-${DISK_NAME}`;

export interface Area {
  xpos: number;
  ypos: number;
  width: number;
  height: number;
  type: 'match';
  /** os-autoinst's default is 96 (%); ours are exact frames, but fonts are thin: keep the default. */
  match?: number;
}

/** Text row `row` of the SUT console, `chars` characters wide. */
function row(rowIndex: number, chars: number): Area {
  return { xpos: 0, ypos: rowIndex * GLYPH_H, width: chars * GLYPH_W, height: GLYPH_H, type: 'match' };
}

const target = { x: SCREEN.width - TARGET.marginRight, y: SCREEN.height - TARGET.marginBottom };
/** The target box's top-left corner: away from the centre where the click (and pointer) lands. */
const targetCorner: Area = { xpos: target.x + 4, ypos: target.y + 4, width: 48, height: 24, type: 'match' };
const wholeTarget: Area = { xpos: target.x, ypos: target.y, width: TARGET.width, height: TARGET.height, type: 'match' };
const banner = row(0, 'pikvm-agent virtual SUT 1024x768'.length);

/** An area of a FULL_HD frame as it lies in the frame scaled to SCREEN, grown by `pad` pixels (inside the screen). */
function scaled(x: number, y: number, width: number, height: number, pad = 0): Area {
  const sx = SCREEN.width / FULL_HD.width;
  const sy = SCREEN.height / FULL_HD.height;
  const left = Math.max(0, Math.floor(x * sx) - pad);
  const top = Math.max(0, Math.floor(y * sy) - pad);
  const right = Math.min(SCREEN.width, Math.ceil((x + width) * sx) + pad);
  const bottom = Math.min(SCREEN.height, Math.ceil((y + height) * sy) + pad);
  return { xpos: left, ypos: top, width: right - left, height: bottom - top, type: 'match' };
}

/**
 * The 1920×1080 target with a margin of background: a box of this size exists at 1920×1080 and
 * nowhere else (the 1024×768 box is 160×80), so it also proves the mode; assert_and_click clicks
 * its centre. Blue before the click, green after: the green one proves the click hit.
 */
const target1080p = scaled(FULL_HD.width - TARGET.marginRight, FULL_HD.height - TARGET.marginBottom, TARGET.width, TARGET.height, 5);

export const NEEDLES: Record<string, Area[]> = {
  'sut-boot': [banner, row(1, 'click the blue box'.length), row(4, 32), targetCorner],
  'sut-media': [row(2, `media: lun0 ${FLASHED_NAME} disk rw`.length)],
  'sut-typed': [row(4, TYPED_TEXT.length)],
  'sut-shortcut-cad': [row(3, 'shortcut: ctrl-alt-delete'.length)],
  'sut-cleared': [row(3, 'shortcut: ctrl-l'.length + 4), row(4, 64)],
  'sut-target': [wholeTarget],
  'sut-target-clicked': [row(1, 'target clicked at'.length), targetCorner],
  'no-signal': [{ xpos: 0, ypos: 0, width: SCREEN.width, height: SCREEN.height, type: 'match' }],
  'sut-target-1080p': [target1080p],
  'sut-target-clicked-1080p': [target1080p],
};

/** Needles whose PNG is a FULL_HD frame scaled to SCREEN. */
export const SCALED_NEEDLES = new Set(['sut-target-1080p', 'sut-target-clicked-1080p']);

export function needleJson(name: string): string {
  return JSON.stringify({ tags: [name], properties: [], area: NEEDLES[name] }, null, 2) + '\n';
}
