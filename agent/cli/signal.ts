/**
 * `pikvm-agent signal [--expect on|off] [--wait SECONDS]`: is the SUT sending an HDMI signal? What
 * the worker kit's power scripts ask (agent/worker-kit/scripts.ts).
 *
 * Exit 0 when the signal is as expected (default `on`), 1 when it is not, 2 when the agent cannot
 * tell (daemon unreachable, no video state). An unknown state is never an answer either way: a
 * caller asking "is it off?" must not read an unreachable agent as "off".
 *
 * `--wait SECONDS` asks again every 100 ms until the signal is as expected or the time is up: a
 * power switch returns before the HDMI receiver has noticed the loss (TC358743 reports it within a
 * frame or two; the capture loop and the simulator's screen poll after that).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientIo } from './client';
import { request } from './client';
import { type CommandIo, type ParsedArgs, PREFIX, UsageError } from './command';
import { type ClientSocket, clientSocket } from './config-args';

/** How long one status query keeps trying while the daemon is (re)starting, without --wait. */
const QUERY_PATIENCE_MS = 10_000;
const POLL_MS = 100;
export const MAX_WAIT_SECONDS = 600;

export interface SignalOptions {
  /** the state asked about: true = a signal (SUT on), false = none (SUT off) */
  expectOnline: boolean;
  /** how long to wait for it, ms (0: answer at once) */
  waitMs: number;
}

/** `--expect on|off`, `--wait SECONDS` (0..600, decimals allowed). */
export function parseSignalOptions(values: { expect?: string | undefined; wait?: string | undefined }): SignalOptions {
  const expect = values.expect ?? 'on';
  if (expect !== 'on' && expect !== 'off') throw new UsageError(`--expect must be on or off (got ${JSON.stringify(expect)})`);
  const wait = values.wait ?? '0';
  const seconds = /^[0-9]{1,3}(\.[0-9]{1,3})?$/.test(wait) ? Number(wait) : NaN;
  if (!(seconds <= MAX_WAIT_SECONDS)) throw new UsageError(`--wait must be seconds from 0 to ${MAX_WAIT_SECONDS} (got ${JSON.stringify(wait)})`);
  return { expectOnline: expect === 'on', waitMs: Math.round(seconds * 1000) };
}

type Answer = { online: boolean } | { unknown: string };

async function querySignal(socket: ClientSocket | string, patienceMs: number): Promise<Answer> {
  let reply: string;
  try {
    reply = await request(socket, 'status', patienceMs);
  } catch (e) {
    return { unknown: (e as Error).message };
  }
  const online = /^ok /.test(reply) ? (JSON.parse(reply.slice(3)) as { video?: { signal?: { online?: unknown } } }).video?.signal?.online : undefined;
  if (typeof online !== 'boolean') return { unknown: `the agent reports no video signal state (${reply.slice(0, 80)})` };
  return { online };
}

export async function runSignal(socket: ClientSocket | string, io: Pick<ClientIo, 'stdout' | 'stderr'>, options: SignalOptions): Promise<number> {
  const deadline = Date.now() + options.waitMs;
  let answer: Answer;
  for (;;) {
    const left = deadline - Date.now();
    answer = await querySignal(socket, options.waitMs > 0 ? Math.max(0, left) : QUERY_PATIENCE_MS);
    const settled = 'online' in answer && answer.online === options.expectOnline;
    if (settled || Date.now() + POLL_MS > deadline) break;
    await sleep(POLL_MS);
  }
  if ('unknown' in answer) {
    io.stderr.write(`${PREFIX}${answer.unknown}\n`);
    return 2;
  }
  io.stdout.write(answer.online ? 'signal\n' : 'no signal\n');
  if (answer.online === options.expectOnline) return 0;
  if (options.waitMs > 0) {
    io.stderr.write(`${PREFIX}still ${answer.online ? 'a signal' : 'no signal'} after ${options.waitMs / 1000} s\n`);
  }
  return 1;
}

/** `pikvm-agent signal [--expect on|off] [--wait SECONDS]` */
export async function signalCommand(args: ParsedArgs<{ expect: { type: 'string'; help: string }; wait: { type: 'string'; help: string } }>, io: CommandIo): Promise<number> {
  return runSignal(await clientSocket(), io, parseSignalOptions(args.values));
}
