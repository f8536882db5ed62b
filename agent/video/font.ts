/**
 * Built-in 8×16 bitmap font for printable ASCII (0x20–0x7E), and a renderer into packed RGB24.
 *
 * Provenance: the glyphs are the X11 "misc-fixed" 8x13 font
 * (`-Misc-Fixed-Medium-R-Normal--13-120-75-75-C-80-ISO8859-1`, COPYRIGHT property "Public domain
 * font. Share and enjoy."), as shipped by Debian's xfonts-base. They were converted mechanically:
 * `pcf2bdf 8x13-ISO8859-1.pcf.gz`, each BDF bitmap placed in a 16-row cell (1 blank row above the
 * 13-row cell, 2 below; baseline at row 12) and written as 16 hex bytes, most significant bit =
 * leftmost pixel. Nothing was drawn by hand.
 */

export const GLYPH_WIDTH = 8;
export const GLYPH_HEIGHT = 16;
const FIRST_CODE = 0x20;

// prettier-ignore
const GLYPH_HEX: readonly string[] = [
  '00000000000000000000000000000000', // " "
  '00000010101010101010001000000000', // "!"
  '00000024242400000000000000000000', // "\""
  '0000000024247e247e24240000000000', // "#"
  '000000103c5050381414781000000000', // "$"
  '000000225224080810242a4400000000', // "%"
  '0000000000304848304a443a00000000', // "&"
  '00000010101000000000000000000000', // "'"
  '00000004080810101008080400000000', // "("
  '00000020101008080810102000000000', // ")"
  '00000024187e18240000000000000000', // "*"
  '000000000010107c1010000000000000', // "+"
  '00000000000000000000383040000000', // ","
  '000000000000007c0000000000000000', // "-"
  '00000000000000000000103810000000', // "."
  '00000002020408102040808000000000', // "/"
  '00000018244242424242241800000000', // "0"
  '00000010305010101010107c00000000', // "1"
  '0000003c424202041820407e00000000', // "2"
  '0000007e0204081c0202423c00000000', // "3"
  '000000040c142444447e040400000000', // "4"
  '0000007e40405c620202423c00000000', // "5"
  '0000001c2040405c6242423c00000000', // "6"
  '0000007e020408081010202000000000', // "7"
  '0000003c4242423c4242423c00000000', // "8"
  '0000003c4242463a0202043800000000', // "9"
  '00000000001038100000103810000000', // ":"
  '00000000001038100000383040000000', // ";"
  '00000002040810201008040200000000', // "<"
  '0000000000007e00007e000000000000', // "="
  '00000040201008040810204000000000', // ">"
  '0000003c424202040808000800000000', // "?"
  '0000003c42424e52564a403c00000000', // "@"
  '00000018244242427e42424200000000', // "A"
  '00000078444244784442447800000000', // "B"
  '0000003c424040404040423c00000000', // "C"
  '00000078444242424242447800000000', // "D"
  '0000007e404040784040407e00000000', // "E"
  '0000007e404040784040404000000000', // "F"
  '0000003c424040404e42463a00000000', // "G"
  '000000424242427e4242424200000000', // "H"
  '0000007c101010101010107c00000000', // "I"
  '0000001f040404040404443800000000', // "J"
  '00000042444850605048444200000000', // "K"
  '00000040404040404040407e00000000', // "L"
  '0000008282c6aa929282828200000000', // "M"
  '000000424262524a4642424200000000', // "N"
  '0000003c424242424242423c00000000', // "O"
  '0000007c4242427c4040404000000000', // "P"
  '0000003c4242424242524a3c02000000', // "Q"
  '0000007c4242427c5048444200000000', // "R"
  '0000003c4240403c0202423c00000000', // "S"
  '000000fe101010101010101000000000', // "T"
  '00000042424242424242423c00000000', // "U"
  '00000082824444442828281000000000', // "V"
  '00000082828282929292aa4400000000', // "W"
  '00000082824428102844828200000000', // "X"
  '00000082824428101010101000000000', // "Y"
  '0000007e020408102040407e00000000', // "Z"
  '0000003c202020202020203c00000000', // "["
  '00000080804020100804020200000000', // "\\"
  '00000078080808080808087800000000', // "]"
  '00000010284400000000000000000000', // "^"
  '000000000000000000000000fe000000', // "_"
  '00001008000000000000000000000000', // "`"
  '0000000000003c023e42463a00000000', // "a"
  '0000004040405c624242625c00000000', // "b"
  '0000000000003c424040423c00000000', // "c"
  '0000000202023a464242463a00000000', // "d"
  '0000000000003c427e40423c00000000', // "e"
  '0000001c2220207c2020202000000000', // "f"
  '0000000000003a444438403c423c0000', // "g"
  '0000004040405c624242424200000000', // "h"
  '00000000100030101010107c00000000', // "i"
  '0000000004000c040404044444380000', // "j"
  '00000040404044487048444200000000', // "k"
  '00000030101010101010107c00000000', // "l"
  '000000000000ec929292928200000000', // "m"
  '0000000000005c624242424200000000', // "n"
  '0000000000003c424242423c00000000', // "o"
  '0000000000005c6242625c4040400000', // "p"
  '0000000000003a4642463a0202020000', // "q"
  '0000000000005c222020202000000000', // "r"
  '0000000000003c42300c423c00000000', // "s"
  '0000000020207c202020221c00000000', // "t"
  '00000000000044444444443a00000000', // "u"
  '00000000000044444428281000000000', // "v"
  '00000000000082829292aa4400000000', // "w"
  '00000000000042241818244200000000', // "x"
  '000000000000424242463a02423c0000', // "y"
  '0000000000007e040810207e00000000', // "z"
  '0000000e101008300810100e00000000', // "{"
  '00000010101010101010101000000000', // "|"
  '000000700808100c1008087000000000', // "}"
  '00000024544800000000000000000000', // "~"
];

const GLYPHS: Uint8Array[] = GLYPH_HEX.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
/** Characters outside printable ASCII are drawn as '?'. */
const FALLBACK = GLYPHS['?'.charCodeAt(0) - FIRST_CODE]!;

/** The 16 row bytes of a character's glyph (MSB = leftmost pixel). */
export function glyphRows(ch: string): Uint8Array {
  const code = ch.charCodeAt(0);
  return GLYPHS[code - FIRST_CODE] ?? FALLBACK;
}

export type Rgb = readonly [number, number, number];

export interface RgbCanvas {
  width: number;
  height: number;
  /** packed RGB24, `width * 3` bytes per row */
  rgb: Buffer;
}

export function createCanvas(width: number, height: number, background: Rgb = [0, 0, 0]): RgbCanvas {
  const rgb = Buffer.allocUnsafe(width * height * 3);
  fillRect({ width, height, rgb }, 0, 0, width, height, background);
  return { width, height, rgb };
}

/** Fill a rectangle, clipped to the canvas. */
export function fillRect(canvas: RgbCanvas, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(canvas.width, Math.floor(x + w));
  const y1 = Math.min(canvas.height, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return;
  const rowBytes = (x1 - x0) * 3;
  const first = (y0 * canvas.width + x0) * 3;
  for (let i = 0; i < rowBytes; i += 3) {
    canvas.rgb[first + i] = color[0];
    canvas.rgb[first + i + 1] = color[1];
    canvas.rgb[first + i + 2] = color[2];
  }
  for (let row = y0 + 1; row < y1; row++) {
    canvas.rgb.copy(canvas.rgb, (row * canvas.width + x0) * 3, first, first + rowBytes);
  }
}

/**
 * Draw text with its top-left corner at (x, y), `scale` pixels per font pixel. Only foreground
 * pixels are written (the background shows through); text is clipped to the canvas.
 */
export function drawText(canvas: RgbCanvas, text: string, x: number, y: number, color: Rgb, scale = 1): void {
  const s = Math.max(1, Math.floor(scale));
  for (let i = 0; i < text.length; i++) {
    const rows = glyphRows(text[i]!);
    const gx = x + i * GLYPH_WIDTH * s;
    if (gx >= canvas.width) break;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const bits = rows[r]!;
      if (bits === 0) continue;
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (bits & (0x80 >> c)) fillRect(canvas, gx + c * s, y + r * s, s, s, color);
      }
    }
  }
}

/** Width in pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale = 1): number {
  return text.length * GLYPH_WIDTH * Math.max(1, Math.floor(scale));
}

export interface ConsoleCursor {
  row: number;
  col: number;
  visible?: boolean;
}

const CONSOLE_FG: Rgb = [0xaa, 0xaa, 0xaa]; // VGA text-mode light grey on black
const CONSOLE_BG: Rgb = [0, 0, 0];

/**
 * Render a text console (as a PC in VGA text mode shows it: light grey on black, 8×16 cells) into
 * a new W×H RGB24 image. Lines beyond the screen are clipped; the cursor is an underline bar in
 * the last two rows of its cell.
 */
export function renderConsole(lines: readonly string[], cursor: ConsoleCursor | null, width: number, height: number): RgbCanvas {
  const canvas = createCanvas(width, height, CONSOLE_BG);
  const rows = Math.floor(height / GLYPH_HEIGHT);
  for (let r = 0; r < Math.min(rows, lines.length); r++) {
    drawText(canvas, lines[r]!, 0, r * GLYPH_HEIGHT, CONSOLE_FG);
  }
  if (cursor && cursor.visible !== false) {
    fillRect(canvas, cursor.col * GLYPH_WIDTH, cursor.row * GLYPH_HEIGHT + GLYPH_HEIGHT - 2, GLYPH_WIDTH, 2, CONSOLE_FG);
  }
  return canvas;
}
