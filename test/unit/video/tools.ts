/**
 * Reference tools for the video tests: Debian's ffmpeg/ffprobe. A missing tool fails the test
 * with the command that installs it (never a skip).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INSTALL_HINT = 'ffmpeg/ffprobe not found: install them with `apt-get install -y ffmpeg`';

export function haveTool(name: 'ffmpeg' | 'ffprobe'): boolean {
  const r = spawnSync(name, ['-version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Assert the tools exist; returns false (after failing `t`) when they do not. */
export function requireFfmpeg(t: { ok(v: unknown, m: string): unknown }): boolean {
  const ok = haveTool('ffmpeg') && haveTool('ffprobe');
  t.ok(ok, ok ? 'ffmpeg and ffprobe present' : INSTALL_HINT);
  return ok;
}

/** Convert raw frames with ffmpeg: `-f rawvideo -pix_fmt IN -s WxH -i in -f rawvideo -pix_fmt OUT out`. */
export function ffmpegConvertRaw(input: Buffer, inFmt: string, width: number, height: number, outFmt = 'rgb24'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'conv-'));
  try {
    const src = join(dir, 'in.raw');
    const dst = join(dir, 'out.raw');
    writeFileSync(src, input);
    const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', inFmt, '-s', `${width}x${height}`, '-i', src, '-f', 'rawvideo', '-pix_fmt', outFmt, '-y', dst]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return readFileSync(dst);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProcessResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run a command with a bounded lifetime (SIGTERM at `killAfterMs`), collecting its output. */
export function runBounded(cmd: string, args: string[], killAfterMs: number, input?: Buffer): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}

export function maxDeviation(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
