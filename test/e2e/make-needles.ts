/**
 * Regenerates test/e2e/distri/needles/ from the simulated agent (run by hand after a deliberate
 * change to what the virtual SUT shows): `npm run build && node dist/test/e2e/make-needles.js`.
 * The e2e tier then proves os-autoinst sees the same pixels through the real stream.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DISK_NAME, FLASHED_NAME, NEEDLES, needleJson, SCREEN, TYPED_TEXT } from './needles';
import { REPO, settle, startAgent } from './sut-session';

async function main(): Promise<void> {
  const out = path.join(REPO, 'test/e2e/distri/needles');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-needles-'));
  const agent = await startAgent(work, 18000 + (process.pid % 1000));
  const save = async (name: string) => {
    if (!NEEDLES[name]) throw new Error(`no needle definition for ${name}`);
    await settle();
    await fs.writeFile(path.join(out, `${name}.png`), await agent.framePng());
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
    const [a] = NEEDLES['sut-target']!;
    // os-autoinst clicks the centre of the match area, then hides the pointer.
    await agent.ctl(`mouse_move ${a!.xpos + Math.floor(a!.width / 2)} ${a!.ypos + Math.floor(a!.height / 2)}`);
    await agent.ctl('mouse_button 1');
    await agent.ctl('mouse_button 0');
    await agent.ctl(`mouse_move ${SCREEN.width - 1} ${SCREEN.height - 1}`);
    await save('sut-target-clicked');
    await agent.ctl('sim power off');
    await save('no-signal');
  } finally {
    await agent.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
