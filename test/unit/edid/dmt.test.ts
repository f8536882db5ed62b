import t from 'tap';
import { DMT_MODES, findDmt } from '../../../agent/edid/dmt';
import { runTool } from './fixtures/tools';

t.test('every DMT row equals edid-decode --dmt (borders folded into the porches)', async (t) => {
  for (const mode of DMT_MODES) {
    const out = runTool('edid-decode', ['--dmt', `0x${mode.id.toString(16)}`]).stdout;
    const head = /(\d+)x(\d+)\s+[\d.]+ Hz.*?([\d.]+) MHz/.exec(out);
    const h = /Hfront\s+(\d+) Hsync\s+(\d+) Hback\s+(\d+) Hpol ([PN])(?: Hborder (\d+))?/.exec(out);
    const v = /Vfront\s+(\d+) Vsync\s+(\d+) Vback\s+(\d+) Vpol ([PN])(?: Vborder (\d+))?/.exec(out);
    if (!head || !h || !v) {
      t.fail(`unexpected edid-decode output for DMT 0x${mode.id.toString(16)}: ${out}`);
      continue;
    }
    const hb = Number(h[5] ?? 0);
    const vb = Number(v[5] ?? 0);
    const m = mode.timing;
    t.same(
      [m.hActive, m.vActive, m.pixelClockHz, m.hFrontPorch, m.hSync, m.hBackPorch, m.hSyncPositive, m.vFrontPorch, m.vSync, m.vBackPorch, m.vSyncPositive],
      [Number(head[1]), Number(head[2]), Math.round(Number(head[3]) * 1e6), Number(h[1]) + hb, Number(h[2]), Number(h[3]) + hb, h[4] === 'P', Number(v[1]) + vb, Number(v[2]), Number(v[3]) + vb, v[4] === 'P'],
      `DMT 0x${mode.id.toString(16)} ${m.hActive}x${m.vActive}@${mode.nominalHz}`,
    );
    t.equal(/\(RB\)/.test(out), mode.reducedBlanking, `DMT 0x${mode.id.toString(16)} reduced blanking flag`);
  }
});

t.test('findDmt matches size, nominal refresh and blanking kind', async (t) => {
  t.equal(findDmt(1024, 768, 60, false)?.id, 0x10);
  t.equal(findDmt(1920, 1200, 60, true)?.id, 0x44);
  t.equal(findDmt(1920, 1200, 60, false)?.id, 0x45);
  t.equal(findDmt(1920, 1080, 60, true), undefined);
  t.equal(findDmt(1024, 768, 59, false), undefined);
});
