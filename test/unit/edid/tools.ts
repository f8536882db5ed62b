/**
 * Reference tools the EDID tests compare against: Debian's `edid-decode` (package edid-decode)
 * and `cvt` (package xcvt). A missing tool fails the test with the install command.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import type { EdidCommandIo } from '../../../agent/video/edid/cli';

export const REFERENCE_TOOLS: Record<string, string> = {
  'edid-decode': 'edid-decode',
  cvt: 'xcvt',
};

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a reference tool with an argument array (no shell); throws with the install hint if absent. */
export function runTool(tool: string, args: string[], input?: Uint8Array): ToolResult {
  const r = spawnSync(tool, args, { input, encoding: 'latin1', timeout: 30_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${tool} is not installed: apt-get install -y ${REFERENCE_TOOLS[tool] ?? tool}`);
  }
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An EdidCommandIo over an in-memory file map, recording what was printed. */
export function memoryIo(files: Record<string, Uint8Array | string> = {}) {
  const store = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(files)) store.set(k, typeof v === 'string' ? Buffer.from(v, 'latin1') : v);
  const out: (string | Uint8Array)[] = [];
  const err: string[] = [];
  const io: EdidCommandIo = {
    stdout: (d) => void out.push(d),
    stderr: (t) => void err.push(t),
    readFile: async (p) => {
      const data = store.get(p);
      if (!data) throw Object.assign(new Error(`ENOENT: open '${p}'`), { code: 'ENOENT' });
      return data;
    },
    writeFile: async (p, d) => void store.set(p, typeof d === 'string' ? Buffer.from(d, 'latin1') : Uint8Array.from(d)),
  };
  return {
    io,
    files: store,
    stdoutText: () => out.map((d) => (typeof d === 'string' ? d : Buffer.from(d).toString('latin1'))).join(''),
    stdoutBytes: () => Buffer.concat(out.map((d) => (typeof d === 'string' ? Buffer.from(d, 'latin1') : Buffer.from(d)))),
    stderrText: () => err.join(''),
  };
}

// Run as a test file of its own (tap runs every .ts file in the folder): the reference tools
// are installed, so that a missing one is reported once, with its install command.
if (require.main === module) {
  t.test('reference tools are installed', async (t) => {
    t.match(runTool('edid-decode', ['--version']).stdout, /edid-decode/);
    t.match(runTool('cvt', ['1024', '768', '60']).stdout, /Modeline "1024x768_60.00"/);
  });
}
