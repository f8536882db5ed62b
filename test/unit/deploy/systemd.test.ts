/**
 * The shipped unit: `systemd-analyze verify` must accept it without a single warning, and the
 * settings the design depends on must be there and agree with the code (paths, package layout).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SYSTEM_PATHS } from '../../../agent/platform/paths';
import { requireProgram, run } from './fixtures/tools';

const REPO = path.resolve(__dirname, '../../..');
const UNIT = path.join(REPO, 'systemd', 'pikvm-agent.service');
const NODE = '/usr/bin/node';

/** `section.Key` → every value it is given, in order (comments and blank lines skipped). */
function parseUnit(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

/**
 * Run `systemd-analyze verify` on a copy of `unitText` in a temp dir. Problems are a non-zero exit
 * or any diagnostic that names the unit (unknown keys only warn, with exit 0).
 */
function verify(analyze: string, unitText: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unit-'));
  try {
    const file = path.join(dir, 'pikvm-agent.service');
    writeFileSync(file, unitText);
    const r = run(analyze, ['verify', file]);
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('pikvm-agent.service'));
    return r.status === 0 ? lines : [`exit status ${r.status}`, ...lines];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The unit as shipped, with ExecStart's interpreter swapped for this Node if /usr/bin/node is absent. */
function unitForThisHost(): string {
  const text = readFileSync(UNIT, 'utf8');
  return existsSync(NODE) ? text : text.replace(`ExecStart=${NODE} `, `ExecStart=${process.execPath} `);
}

t.test('systemd-analyze verify accepts the unit with no diagnostics', async (t) => {
  const analyze = requireProgram(t, 'systemd-analyze');
  if (!analyze) return;
  t.same(verify(analyze, unitForThisHost()), []);
  // The check itself must be able to fail: a typo and a missing executable are both caught.
  t.match(verify(analyze, unitForThisHost().replace('Type=notify', 'Type=notify\nWatchdogSecs=5')), [/Unknown key/]);
  t.match(verify(analyze, unitForThisHost().replace(/ExecStart=\S+/, 'ExecStart=/nonexistent/node')), [/exit status/, /not executable/]);
});

t.test('systemd-analyze security rates the hardening OK or better', async (t) => {
  const analyze = requireProgram(t, 'systemd-analyze');
  if (!analyze) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'pikvm-agent.service');
  writeFileSync(file, unitForThisHost());
  const r = run(analyze, ['security', '--offline=true', '--no-pager', file]);
  const m = /Overall exposure level for pikvm-agent\.service: ([\d.]+)/.exec(r.stdout + r.stderr);
  t.ok(m, 'an exposure level was printed');
  if (m) t.ok(Number(m[1]) <= 5.0, `exposure ${m[1]} <= 5.0`);
});

t.test('the unit says what the design needs', async (t) => {
  const u = parseUnit(readFileSync(UNIT, 'utf8'));
  const one = (k: string) => {
    const v = u.get(k);
    t.equal(v?.length, 1, `${k} is set once`);
    return v?.[0] ?? '';
  };
  t.equal(one('Service.Type'), 'notify');
  t.equal(one('Service.Restart'), 'on-failure');
  t.equal(one('Service.RestartPreventExitStatus'), '78', 'a configuration error (exit 78) is not restarted');
  t.ok(parseInt(one('Service.WatchdogSec'), 10) > 0, 'a watchdog');
  t.equal(one('Service.KillMode'), 'mixed', 'the hand-back can finish its systemctl calls');

  // ExecStart runs the CLI that package.json publishes, from the installed tree.
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const exec = one('Service.ExecStart').split(' ');
  t.equal(exec[0], NODE);
  t.equal(exec.at(-2), path.posix.join('/usr/lib/pikvm-agent', pkg.bin['pikvm-agent']!));
  t.equal(exec.at(-1), 'serve');

  // The run directory survives a crash (lease file) and is the one the code uses.
  t.equal(`/run/${one('Service.RuntimeDirectory')}`, SYSTEM_PATHS.runDir);
  t.equal(one('Service.RuntimeDirectoryPreserve'), 'yes');

  // Hardening.
  t.equal(one('Service.ProtectSystem'), 'strict');
  const rw = one('Service.ReadWritePaths').split(/\s+/);
  t.ok(rw.includes(SYSTEM_PATHS.configfsRoot), 'configfs is writable');
  t.same(rw.filter((p) => !p.startsWith('-')), [SYSTEM_PATHS.configfsRoot], 'nothing else must exist to start');
  t.equal(one('Service.PrivateTmp'), 'yes');
  t.equal(one('Service.NoNewPrivileges'), 'yes');
  t.equal(one('Service.CapabilityBoundingSet'), 'CAP_CHOWN');
  t.equal(one('Service.DevicePolicy'), 'closed');
  t.same(u.get('Service.DeviceAllow'), ['char-video4linux rw', 'char-hidg rw']);

  // Memory: critical path, bounded, helpers sacrificial.
  const oom = Number(one('Service.OOMScoreAdjust'));
  t.ok(oom <= -500 && oom > -1000, `OOMScoreAdjust ${oom} well below kvmd's 0, but killable`);
  t.equal(one('Service.OOMPolicy'), 'continue', 'an OOM-killed helper does not stop the agent');
  const mib = (v: string) => Number(/^(\d+)M$/.exec(v)?.[1] ?? NaN);
  t.ok(mib(one('Service.MemoryHigh')) < mib(one('Service.MemoryMax')), 'MemoryHigh below MemoryMax');
  t.ok(mib(one('Service.MemoryMax')) <= 512, 'MemoryMax leaves the Pi to kvmd');
  const heap = Number(/--max-old-space-size=(\d+)/.exec(one('Service.ExecStart'))?.[1]);
  t.ok(heap < mib(one('Service.MemoryHigh')), 'the V8 heap limit sits under MemoryHigh');
  t.same(u.get('Service.Environment'), ['NODE_ENV=production', 'MALLOC_MMAP_THRESHOLD_=131072'], 'large frame buffers stay mmapped (RSS does not settle upward)');
});
