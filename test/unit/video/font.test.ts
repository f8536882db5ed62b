import t from 'tap';
import { createCanvas, drawText, glyphRows, GLYPH_HEIGHT, GLYPH_WIDTH, renderConsole } from '../../../agent/video/font';

function pixel(c: { width: number; rgb: Buffer }, x: number, y: number): number[] {
  const o = (y * c.width + x) * 3;
  return [c.rgb[o]!, c.rgb[o + 1]!, c.rgb[o + 2]!];
}

t.test('glyph table', async (t) => {
  t.same([...glyphRows(' ')], new Array(16).fill(0), 'space is blank');
  for (let c = 0x21; c < 0x7f; c++) {
    const rows = glyphRows(String.fromCharCode(c));
    t.equal(rows.length, GLYPH_HEIGHT);
    if (!rows.some((r) => r !== 0)) t.fail(`glyph ${String.fromCharCode(c)} is blank`);
  }
  t.not(Buffer.from(glyphRows('A')).toString('hex'), Buffer.from(glyphRows('B')).toString('hex'), 'glyphs differ');
  t.same(glyphRows('\u00e9'), glyphRows('?'), 'non-ASCII falls back to ?');
  t.ok(glyphRows('_')[GLYPH_HEIGHT - 4]! !== 0 || glyphRows('_')[GLYPH_HEIGHT - 3]! !== 0, 'underscore sits low');
  t.ok(glyphRows('^').slice(0, 6).some((r) => r !== 0), 'caret sits high');
});

t.test('drawText writes exactly the glyph bits', async (t) => {
  const c = createCanvas(40, 20, [1, 2, 3]);
  drawText(c, 'Hi', 4, 2, [250, 251, 252]);
  const rows = glyphRows('H');
  for (let r = 0; r < GLYPH_HEIGHT; r++) {
    for (let col = 0; col < GLYPH_WIDTH; col++) {
      const on = (rows[r]! & (0x80 >> col)) !== 0;
      const p = pixel(c, 4 + col, 2 + r);
      if (on) t.same(p, [250, 251, 252]);
      else t.same(p, [1, 2, 3]);
    }
  }
  t.same(pixel(c, 0, 0), [1, 2, 3], 'outside the text untouched');
  drawText(c, 'WWWWWWWWWW', 30, 15, [9, 9, 9]); // runs off the right and bottom edges: clipped
  // (39, 19) is column 1, row 4 of the second W (which starts at x = 38)
  const on = (glyphRows('W')[4]! & (0x80 >> 1)) !== 0;
  t.same(pixel(c, 39, 19), on ? [9, 9, 9] : [1, 2, 3], 'clipped glyph drawn up to the edge');
});

t.test('renderConsole', async (t) => {
  const screen = renderConsole(['login:', 'x'], { row: 1, col: 1 }, 80, 48);
  t.equal(screen.rgb.length, 80 * 48 * 3);
  const fg = [0xaa, 0xaa, 0xaa];
  const l = glyphRows('l');
  let lit = 0;
  for (let r = 0; r < GLYPH_HEIGHT; r++) for (let col = 0; col < 8; col++) if (l[r]! & (0x80 >> col)) {
    t.same(pixel(screen, col, r), fg);
    lit++;
  }
  t.ok(lit > 5, 'the l is drawn');
  t.same(pixel(screen, 8 + 3, 16 + 15), fg, 'cursor underline at row 1, col 1');
  t.same(pixel(screen, 8 + 3, 16 + 12), [0, 0, 0], 'above the underline is background');
  const blank = renderConsole([], null, 16, 16);
  t.ok(blank.rgb.every((b) => b === 0), 'empty console is black');
});
