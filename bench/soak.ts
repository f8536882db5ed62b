/**
 * Soak benchmark (issue 11): the compiled daemon (`serve --simulate`) under the systemd unit's
 * limits (V8 heap cap, MALLOC_MMAP_THRESHOLD_, LimitNOFILE; test/helpers/unit-limited-daemon.ts),
 * one fresh daemon per load, each load for `--seconds` (default 60):
 *   (0) no load: the probe's baseline on this machine;
 *   (a) 200 control clients that send `status` lines and never read;
 *   (b) 200 /stream.nut?fps=2 clients that never read;
 *   (c) 1,000 slowloris HTTP connections (a request header sent one byte a second, never ended);
 *   (d) 500 /stream.nut?fps=2 clients that read.
 * The load runs in a child process (bench/soak-load.ts). Meanwhile a well-behaved client, connected
 * before the load, sends `ret` on its control connection and GETs /frame.ppm (whole body) every
 * 250 ms, and the daemon's VmRSS, VmHWM and open descriptors are sampled.
 *
 * Targets: the daemon stays up, RSS stays under the unit's MemoryHigh, the key and /frame.ppm answer
 * within 100 ms. A measurement: prints FAIL lines, exits 0.
 *
 * Run: npm run bench:soak [-- --seconds 20] [-- --only slowloris]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LineClient } from '../test/helpers/socket-client';
import { openFds, orAfter, procStatusKb, startDaemon, unitLimits, type StartedDaemon } from '../test/helpers/unit-limited-daemon';
import type { LoadKind, LoadReport } from './soak-load';

const LOADS: Array<{ kind: LoadKind; count: number; label: string }> = [
  { kind: 'idle', count: 0, label: '(0) baseline, no load' },
  { kind: 'control-no-read', count: 200, label: '(a) 200 control, never read' },
  { kind: 'stream-no-read', count: 200, label: '(b) 200 stream.nut, never read' },
  { kind: 'slowloris', count: 1000, label: '(c) 1,000 slowloris' },
  { kind: 'stream-read', count: 500, label: '(d) 500 stream.nut, reading' },
];
const SAMPLE_MS = 250;
const TARGET_MS = 100;
/** A probe that has no answer after this counts as this long (and as a miss). */
const PROBE_TIMEOUT_MS = 5000;

interface Measured {
  label: string;
  up: boolean;
  rssMaxKb: number;
  hwmKb: number;
  fdMax: number;
  keyMs: number[];
  frameMs: number[];
  keyErrors: number;
  frameErrors: number;
  /** Why probes failed, e.g. { 'frame: timeout': 3 }. */
  errors: Record<string, number>;
  load: LoadReport | undefined;
}

function args(): { seconds: number; only: string | undefined } {
  const argv = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seconds = Number(value('--seconds') ?? 60);
  if (!(seconds > 0 && seconds <= 3600)) throw new Error('--seconds must be 1..3600');
  const only = value('--only');
  if (only !== undefined && !LOADS.some((l) => l.kind === only)) throw new Error(`--only must be one of ${LOADS.map((l) => l.kind).join(', ')}`);
  return { seconds, only };
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  return port;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
}

/** GET /frame.ppm and read the whole body; milliseconds, or throws. */
function timeFrame(port: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/frame.ppm', agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`http ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** `ret` on the well-behaved control connection; milliseconds until `ok`, or throws. */
async function timeKey(client: LineClient): Promise<number> {
  const start = performance.now();
  const reply = await orAfter(client.send('ret'), PROBE_TIMEOUT_MS, '(no reply)');
  if (reply !== 'ok') throw new Error(reply);
  return performance.now() - start;
}

async function runLoad(load: (typeof LOADS)[number], seconds: number): Promise<Measured> {
  const port = await freePort();
  const daemon: StartedDaemon = await startDaemon([`http.listen=127.0.0.1:${port}`]);
  const m: Measured = { label: load.label, up: true, rssMaxKb: 0, hwmKb: 0, fdMax: 0, keyMs: [], frameMs: [], keyErrors: 0, frameErrors: 0, errors: {}, load: undefined };
  const failed = (what: string, e: unknown): void => {
    const why = `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    m.errors[why] = (m.errors[why] ?? 0) + 1;
  };
  const running = (): boolean => daemon.child.exitCode === null && daemon.child.signalCode === null;
  try {
    const client = await LineClient.connect(daemon.socketPath);
    client.socket.on('error', () => undefined);
    // Warm-up, not measured: the first frame starts the simulated capture, and the first requests
    // run cold (unoptimized) code in both processes.
    for (let i = 0; i < 8; i++) {
      await timeKey(client);
      await timeFrame(port);
    }
    const child = fork(path.join(__dirname, 'soak-load.js'), [load.kind, String(load.count), String(seconds), daemon.socketPath, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const report = new Promise<LoadReport | undefined>((resolve) => {
      child.on('message', (r) => resolve(r as LoadReport));
      child.on('exit', () => resolve(undefined));
    });
    const end = performance.now() + seconds * 1000;
    let keyBroken = false;
    while (performance.now() < end && m.up) {
      const tick = performance.now();
      try {
        m.rssMaxKb = Math.max(m.rssMaxKb, await procStatusKb(daemon.pid, 'VmRSS'));
        m.hwmKb = Math.max(m.hwmKb, await procStatusKb(daemon.pid, 'VmHWM'));
        m.fdMax = Math.max(m.fdMax, await openFds(daemon.pid));
      } catch {
        // /proc/PID is gone: the daemon exited.
      }
      m.up = running();
      // A key with no reply leaves the line client out of step: count it and stop probing keys.
      if (!keyBroken) {
        try {
          m.keyMs.push(await timeKey(client));
        } catch (e) {
          failed('key', e);
          m.keyErrors++;
          keyBroken = true;
        }
      }
      try {
        m.frameMs.push(await timeFrame(port));
      } catch (e) {
        failed('frame', e);
        m.frameErrors++;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, SAMPLE_MS - (performance.now() - tick))));
    }
    m.load = await orAfter(report, 30_000, undefined);
    if (child.exitCode === null) child.kill('SIGKILL');
    client.close();
    m.up &&= running();
  } finally {
    await daemon.stop();
  }
  return m;
}

const ms = (v: number): string => (Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const mb = (kb: number): string => (kb / 1024).toFixed(0);

function latency(samples: number[], errors: number): string {
  const s = [...samples].sort((a, b) => a - b);
  const failed = errors ? ` +${errors} failed` : '';
  return `${ms(percentile(s, 0.5))}/${ms(percentile(s, 0.99))}/${ms(s.at(-1) ?? NaN)}${failed}`;
}

function report(results: Measured[], seconds: number): void {
  const highKb = unitLimits().memoryHighBytes / 1024;
  console.log(`\nsoak: ${seconds} s per load, a fresh daemon per load; MemoryHigh ${mb(highKb)} MB; latencies p50/p99/max ms (n = samples)`);
  const rows = [['load', 'up', 'RSS max / HWM MB', 'fds max', 'key ret ms', '/frame.ppm ms', 'refused']];
  for (const r of results) {
    const refused = r.load ? `${r.load.refused}/${r.load.started} ${JSON.stringify(r.load.refusals)}` : '(no report)';
    rows.push([r.label, r.up ? 'yes' : 'NO', `${mb(r.rssMaxKb)} / ${mb(r.hwmKb)}`, String(r.fdMax), `${latency(r.keyMs, r.keyErrors)} n=${r.keyMs.length}`, `${latency(r.frameMs, r.frameErrors)} n=${r.frameMs.length}`, refused]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const r of results) if (Object.keys(r.errors).length) console.log(`${r.label}: failed probes ${JSON.stringify(r.errors)}`);
  console.log('');
  for (const r of results) {
    const worst = (s: number[], errors: number): number => (errors ? Infinity : Math.max(...s, 0));
    const verdicts: Array<[string, boolean, string]> = [
      ['daemon stays up', r.up, r.up ? 'up' : 'exited'],
      ['RSS under MemoryHigh', Math.max(r.rssMaxKb, r.hwmKb) < highKb, `peak ${mb(Math.max(r.rssMaxKb, r.hwmKb))} MB of ${mb(highKb)} MB`],
      [`key within ${TARGET_MS} ms`, worst(r.keyMs, r.keyErrors) <= TARGET_MS, `max ${ms(worst(r.keyMs, r.keyErrors))} ms`],
      [`/frame.ppm within ${TARGET_MS} ms`, worst(r.frameMs, r.frameErrors) <= TARGET_MS, `max ${ms(worst(r.frameMs, r.frameErrors))} ms`],
    ];
    for (const [target, ok, detail] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'}  ${r.label}: ${target} (${detail})`);
  }
}

async function main(): Promise<void> {
  const { seconds, only } = args();
  const results: Measured[] = [];
  for (const load of LOADS.filter((l) => !only || l.kind === only)) {
    console.log(`${new Date().toISOString()} ${load.label} for ${seconds} s`);
    results.push(await runLoad(load, seconds));
  }
  report(results, seconds);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
