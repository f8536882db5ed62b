/**
 * Regenerates test/e2e/distri/needles/ from the simulated agent (run by hand after a deliberate
 * change to what the virtual SUT shows): `npm run build && node dist/test/e2e/make-needles.js`.
 * The e2e tier then proves os-autoinst sees the same pixels through the real stream. The
 * 1920×1080 needles are read the way the e2e job reads them: Debian's ffmpeg on the NUT stream
 * opened at 1024×768 (the stream keeps its size and scales later frames), so ffmpeg must be installed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DISK_NAME, FLASHED_NAME, FULL_HD, NEEDLES, needleJson, SCALED_NEEDLES, SCREEN, TYPED_TEXT } from './needles';
import { REPO, settle, startAgent } from './sut-session';

/** os-autoinst's reader (consoles/video_stream.pm): ffmpeg turns the stream into PPM frames; the newest counts. */
class StreamReader {
  private data = Buffer.alloc(0);
  private frames = 0;
  private latest: { width: number; height: number; rgb: Buffer } | null = null;

  private constructor(private readonly ffmpeg: ChildProcess) {
    ffmpeg.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
  }

  static open(url: string): StreamReader {
    return new StreamReader(spawn('ffmpeg', ['-loglevel', 'fatal', '-i', url, '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '2', '-'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  }

  /** The first frame that arrives after `count` more frames, as a PNG. */
  async next(count = 2): Promise<Buffer> {
    const target = this.frames + count;
    for (let i = 0; this.frames < target; i++) {
      if (this.ffmpeg.exitCode !== null || i > 200) throw new Error('ffmpeg delivers no frames');
      await new Promise((r) => setTimeout(r, 50));
    }
    const f = this.latest!;
    return sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } }).png().toBuffer();
  }

  stop(): void {
    this.ffmpeg.kill('SIGTERM');
  }

  private take(chunk: Buffer): void {
    this.data = Buffer.concat([this.data, chunk]);
    for (;;) {
      const m = /^P6\n(\d+) (\d+)\n255\n/.exec(this.data.subarray(0, 20).toString('latin1'));
      if (!m) return;
      const width = Number(m[1]);
      const height = Number(m[2]);
      const end = m[0].length + width * height * 3;
      if (this.data.length < end) return;
      this.latest = { width, height, rgb: Buffer.from(this.data.subarray(m[0].length, end)) };
      this.frames++;
      this.data = this.data.subarray(end);
    }
  }
}

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
  /** The needle's PNG: the frame (or with `stream`, what os-autoinst reads from the NUT stream). */
  const save = async (name: string, stream?: StreamReader) => {
    if (!NEEDLES[name]) throw new Error(`no needle definition for ${name}`);
    if (SCALED_NEEDLES.has(name) !== (stream !== undefined)) throw new Error(`${name}: scaled needles, and only they, come from the stream`);
    await settle();
    if (stream && JSON.stringify(pngSize(await agent.framePng())) !== JSON.stringify(FULL_HD)) throw new Error(`${name}: the SUT is not at 1920x1080`);
    const png = stream ? await stream.next() : await agent.framePng();
    if (JSON.stringify(pngSize(png)) !== JSON.stringify(SCREEN)) throw new Error(`${name}: ${JSON.stringify(pngSize(png))} is not what os-autoinst matches`);
    await fs.writeFile(path.join(out, `${name}.png`), png);
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
    // click_1080p.pm, after power.pm: a fresh boot switched to 1920x1080 while os-autoinst reads
    // the stream it opened at 1024x768, clicked from os-autoinst's 1024x768 space.
    await agent.ctl('sim power on');
    const stream = StreamReader.open(`http://127.0.0.1:${agent.port}/stream.nut?fps=2`);
    try {
      await stream.next(1);
      await agent.ctl(`sim mode ${FULL_HD.width} ${FULL_HD.height}`);
      await save('sut-target-1080p', stream);
      await clickNeedle(agent.ctl, 'sut-target-1080p');
      await save('sut-target-clicked-1080p', stream);
    } finally {
      stream.stop();
    }
  } finally {
    await agent.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
