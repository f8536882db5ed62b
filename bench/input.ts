/**
 * Input benchmark: the real control socket, the real dispatcher and HID service, and recording HID
 * devices in place of /dev/hidgN (so the numbers are the agent's own cost, not the USB host's 1 ms
 * polling).
 *
 * Measures
 * 1. latency: one key line at a time (wait for the reply before the next); time from the client's
 *    write of the line to the first report written for it — an upper bound on "arrival → write",
 *    since it includes the loopback transfer. Median and p99 over the samples.
 * 2. throughput: a 10,000-character `type_string` the way os-autoinst sends it (one line per
 *    character, pipelined); lines per second until the last reply.
 *
 * Run: npm run bench:input   (targets: p99 < 1 ms, ≥ 5,000 lines/s)
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Dispatcher } from '../agent/control/dispatcher';
import { ControlServer } from '../agent/control/server';
import { ControlSessions } from '../agent/control/sessions';
import { RecordingHidDevice } from '../test/doubles/recording-hid-device';
import { HidService } from '../agent/hid/service';
import { silentLogger } from '../agent/log';
import { exchange, LineClient } from '../test/helpers/socket-client';

const LATENCY_SAMPLES = 5000;
const TYPE_LENGTH = 10_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The line os-autoinst sends for one character of type_string (backend/generalhw.pm). */
function lineFor(ch: string): string {
  if (ch === '-') return 'minus';
  if (ch === ' ') return 'spc';
  return ch;
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-bench-'));
  const socketPath = path.join(dir, 'control.sock');
  const keyboard = new RecordingHidDevice();
  const pointer = new RecordingHidDevice();
  const hid = new HidService({
    keyboard: () => keyboard,
    pointer: () => pointer,
    isHostOnline: async () => true,
    logger: silentLogger,
  });
  await hid.start();
  const dispatcher = new Dispatcher({
    input: hid,
    gadget: { reconnect: async () => undefined },
    storage: { attach: async () => undefined, eject: async () => undefined, status: async () => [] },
    status: async () => ({}),
    sessions: new ControlSessions({ width: 1024, height: 768 }),
    logger: silentLogger,
  });
  const server = new ControlServer(dispatcher, { socketPath, mode: 0o660, group: '', maxLine: 4096, maxConnections: 64, lineTimeoutMs: 60_000, idleTimeoutMs: 0 }, silentLogger);
  await server.start();

  // 1. latency
  const client = await LineClient.connect(socketPath);
  const keys = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < 200; i++) await client.send(keys[i % keys.length]!); // warm-up
  const samples: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const before = keyboard.writes.length;
    const sent = performance.now();
    const reply = await client.send(keys[i % keys.length]!);
    if (reply !== 'ok') throw new Error(`unexpected reply ${reply}`);
    samples.push(keyboard.writes[before]!.at - sent);
    roundTrips.push(performance.now() - sent);
  }
  client.close();
  samples.sort((a, b) => a - b);
  roundTrips.sort((a, b) => a - b);

  // 2. throughput of a long type_string
  const text = Array.from({ length: TYPE_LENGTH }, (_, i) => String.fromCharCode(0x20 + (i % 95))).join('');
  const payload = [...text].map(lineFor).join('\n') + '\n';
  const reportsBefore = keyboard.writes.length;
  const started = performance.now();
  const replies = await exchange(socketPath, payload);
  const seconds = (performance.now() - started) / 1000;
  if (replies.length !== TYPE_LENGTH || replies.some((r) => r !== 'ok')) throw new Error('type_string replies were not all ok');
  const reports = keyboard.writes.length - reportsBefore;

  await server.stop();
  await hid.stop();
  await fs.rm(dir, { recursive: true, force: true });

  const fmt = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  console.log(`input latency over ${LATENCY_SAMPLES} key lines (client write → first report): median ${fmt(percentile(samples, 50))}, p99 ${fmt(percentile(samples, 99))}, max ${fmt(samples[samples.length - 1]!)}`);
  console.log(`reply round trip (client write → ok read): median ${fmt(percentile(roundTrips, 50))}, p99 ${fmt(percentile(roundTrips, 99))}`);
  console.log(`type_string of ${TYPE_LENGTH} characters: ${(TYPE_LENGTH / seconds).toFixed(0)} lines/s (${(reports / seconds).toFixed(0)} reports/s, ${seconds.toFixed(2)} s)`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
