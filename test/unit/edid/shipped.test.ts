/**
 * The EDID files we ship (edid/*.hex) must be exactly what `edid make` produces today, and must
 * pass Debian's `edid-decode --check`; a change to the generator that alters them fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runEdidCommand } from '../../../agent/cli/edid';
import { readEdidFile } from '../../../agent/edid/hexfile';
import { parseEdid } from '../../../agent/edid/parse';
import { memoryIo, runTool } from './fixtures/tools';

const EDID_DIR = join(__dirname, '..', '..', '..', 'edid');

/** File → the `edid make` arguments recorded in edid/README.md. */
const SHIPPED: Record<string, string[]> = {
  '1024x768.hex': ['make', '1024x768@60'],
  '1280x1024.hex': ['make', '1280x1024@60'],
  '1920x1080.hex': ['make', '1920x1080@60'],
};

for (const [file, argv] of Object.entries(SHIPPED)) {
  t.test(`edid/${file}`, async (t) => {
    const path = join(EDID_DIR, file);
    const shipped = readFileSync(path);
    const m = memoryIo();
    t.equal(await runEdidCommand([...argv, '--out', 'regenerated'], m.io), 0);
    t.same(shipped, Buffer.from(m.files.get('regenerated')!), `regenerating ${file} gives the same bytes`);

    const [w, h] = file.replace('.hex', '').split('x').map(Number);
    const parsed = parseEdid(readEdidFile(shipped).bytes);
    t.ok(parsed.valid);
    t.same([parsed.preferred?.timing.hActive, parsed.preferred?.timing.vActive], [w, h]);

    const readme = readFileSync(join(EDID_DIR, 'README.md'), 'utf8');
    t.ok(readme.includes(`edid ${argv.join(' ')} --out edid/${file}`), 'README.md records the command');

    const r = runTool('edid-decode', ['--check', path]);
    t.match(r.stdout, /EDID conformity: PASS/, r.stdout.slice(-400));
    t.notMatch(r.stdout, /Failures:|Warnings:/);
    t.equal(r.status, 0);
  });
}
