/**
 * Regenerates test/e2e/distri/needles/ from the simulated agent (run by hand after a deliberate
 * change to what the virtual SUT shows): `npm run build && node dist/test/e2e/make-needles.js`.
 * The e2e tier then proves os-autoinst sees the same pixels through the real stream. The scaled
 * needles are scaled by Debian's os-autoinst itself (its tinycv), so it must be installed.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DISK_NAME, FLASHED_NAME, FULL_HD, NEEDLES, needleJson, SCALED_NEEDLES, SCREEN, TYPED_TEXT } from './needles';
import { REPO, settle, startAgent } from './sut-session';

/** os-autoinst's own scaler: every frame becomes XRES×YRES before matching (backend/baseclass.pm). */
const TINYCV_SCALE = 'use tinycv; tinycv::read($ARGV[0])->scale($ARGV[2], $ARGV[3])->write($ARGV[1]) or die "cannot write $ARGV[1]\\n"';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Click the centre of a needle's last area, as assert_and_click does (testapi.pm, _calculate_clickpoint). */
async function clickNeedle(ctl: (line: string) => Promise<string>, name: string): Promise<void> {
  const a = NEEDLES[name]!.at(-1)!;
  await ctl(`mouse_move ${Math.floor(a.xpos + a.width / 2)} ${Math.floor(a.ypos + a.height / 2)}`);
  await ctl('mouse_button 1');
  await ctl('mouse_button 0');
  // then back where the pointer was, or hidden: the bottom-right corner of the client space
  await ctl(`mouse_move ${SCREEN.width - 1} ${SCREEN.height - 1}`);
}

async function main(): Promise<void> {
  const out = path.join(REPO, 'test/e2e/distri/needles');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-needles-'));
  const agent = await startAgent(work, 18000 + (process.pid % 1000));
  const save = async (name: string) => {
    if (!NEEDLES[name]) throw new Error(`no needle definition for ${name}`);
    await settle();
    const png = await agent.framePng();
    const file = path.join(out, `${name}.png`);
    const expected = SCALED_NEEDLES.has(name) ? FULL_HD : SCREEN;
    if (JSON.stringify(pngSize(png)) !== JSON.stringify(expected)) throw new Error(`${name}: the frame is ${JSON.stringify(pngSize(png))}, not ${JSON.stringify(expected)}`);
    if (SCALED_NEEDLES.has(name)) {
      const native = path.join(work, `${name}.native.png`);
      await fs.writeFile(native, png);
      await promisify(execFile)('perl', ['-I/usr/lib/os-autoinst', '-e', TINYCV_SCALE, native, file, String(SCREEN.width), String(SCREEN.height)]);
    } else await fs.writeFile(file, png);
    await fs.writeFile(path.join(out, `${name}.json`), needleJson(name));
    console.log(`wrote ${name}`);
  };
  try {
    await fs.mkdir(out, { recursive: true });
    // As the job starts: power off, flash (attach HDD_1), power on.
    await agent.ctl('sim power off');
    const image = path.join(agent.imageDir, FLASHED_NAME);
    await fs.writeFile(image, Buffer.alloc(1 << 20));
    void DISK_NAME;
    await agent.ctl(`storage attach --lun 0 --rw ${image}`);
    await agent.ctl('sim power on');
    await save('sut-boot');
    await save('sut-media');
    await save('sut-target');
    await agent.ctl(`type ${TYPED_TEXT}`);
    await agent.ctl('ret');
    await save('sut-typed');
    await agent.ctl('ctrl-alt-delete');
    await save('sut-shortcut-cad');
    await agent.ctl('ctrl-l');
    await save('sut-cleared');
    await clickNeedle(agent.ctl, 'sut-target');
    await save('sut-target-clicked');
    await agent.ctl('sim power off');
    await save('no-signal');
    // click_1080p.pm, after power.pm: a fresh boot at 1920x1080, clicked from os-autoinst's 1024x768.
    await agent.ctl('sim power on');
    await agent.ctl(`sim mode ${FULL_HD.width} ${FULL_HD.height}`);
    await save('sut-target-1080p');
    await clickNeedle(agent.ctl, 'sut-target-1080p');
    await save('sut-target-clicked-1080p');
  } finally {
    await agent.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
