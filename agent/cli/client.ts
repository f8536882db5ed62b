/**
 * The clients of the control socket that workers and people run:
 * - `pikvm-agent input`: what a worker's GENERAL_HW_INPUT_CMD runs (over ssh). Copies stdin lines
 *   to the socket and replies to stdout, one per line, and exits 0 once stdin ends and every reply
 *   has arrived (a last line without its newline is refused by the daemon, not run). os-autoinst
 *   closes stdin at job end and waits for us to exit (`backend/generalhw.pm`), so EOF must end the
 *   process. Upstream os-autoinst reads exactly one `ok` per line it sent
 *   (`consoles/video_stream.pm`, PR #2514): with `--screen WxH` the `screen W H` line is ours, so
 *   its reply is read here and never reaches stdout.
 * - `pikvm-agent ctl [--json] WORDS…`: one command, prints its reply, exit 1 on `error:`.
 * Both fail at once when no daemon listens (see `connectControl`).
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError } from '../errors';
import type { ScreenSize } from '../hid/space';
import { type CommandIo, type ParsedArgs, PREFIX, UsageError, type Writer } from './command';
import { type ClientSocket, clientSocket } from './config-args';

/** How long a client keeps trying while the daemon is too busy to accept (EAGAIN: its backlog is full). */
const CONNECT_PATIENCE_MS = 10_000;
const CONNECT_RETRY_MS = 200;

/** Opens a Unix stream socket; `net.connect` in the product, a stand-in in tests. */
export type Dial = (socketPath: string) => Promise<net.Socket>;

const dialUnix: Dial = (socketPath) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ path: socketPath, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });

/** Why a connect failed, in words a person can act on. */
function connectHint(code: string | undefined, socket: ClientSocket): string {
  const origin = socket.origin ? `; the path comes from ${socket.origin}` : '';
  switch (code) {
    case 'ENOENT':
      return ` (no such socket: is the daemon running? systemctl status pikvm-agent${origin})`;
    case 'ECONNREFUSED':
      return ` (nothing listens there: is the daemon running? systemctl status pikvm-agent${origin})`;
    case 'EACCES':
      return ' (permission denied: the socket is for root and the group control.group)';
    default:
      return socket.origin ? ` (the path comes from ${socket.origin})` : '';
  }
}

/**
 * Connects at once or fails at once when no daemon is there (ENOENT, ECONNREFUSED): a missing
 * daemon does not come back by waiting, and a script wants the answer now. Only a daemon too busy
 * to accept (EAGAIN) is given `patienceMs`; once accepted, a reply takes as long as it takes.
 */
export async function connectControl(target: string | ClientSocket, patienceMs = CONNECT_PATIENCE_MS, dial: Dial = dialUnix): Promise<net.Socket> {
  const socket = typeof target === 'string' ? { path: target, origin: '' } : target;
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return await dial(socket.path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' || Date.now() >= deadline) {
        throw new AgentError('no-device', `cannot connect to the agent's control socket ${socket.path}: ${code ?? String(e)}${connectHint(code, socket)}`, e);
      }
      await sleep(CONNECT_RETRY_MS);
    }
  }
}

export interface ClientIo {
  stdin: NodeJS.ReadableStream;
  stdout: Writer;
  stderr: Writer;
}

/** Send one line on an open connection and read its reply line (nothing else may be in flight). */
function exchangeOne(socket: net.Socket, line: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]); // bytes until the newline: a UTF-8 character may span chunks
      const nl = buffered.indexOf(0x0a);
      if (nl < 0) return;
      done();
      resolve(buffered.subarray(0, nl).toString('utf8'));
    };
    const onEnd = () => (done(), reject(new Error('the agent closed the connection without a reply')));
    const onError = (e: Error) => (done(), reject(e));
    const done = () => {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.write(line + '\n');
  });
}

/** `pikvm-agent input [--screen WxH]`: resolves to the exit code. */
export async function runInput(socketPath: string | ClientSocket, io: ClientIo, screen?: ScreenSize): Promise<number> {
  let socket: net.Socket | undefined;
  try {
    socket = await connectControl(socketPath);
    if (screen) {
      const reply = await exchangeOne(socket, `screen ${screen.width} ${screen.height}`);
      if (reply !== 'ok') throw new Error(`--screen ${screen.width}x${screen.height}: ${reply}`);
    }
  } catch (e) {
    socket?.destroy();
    io.stderr.write(`${PREFIX}${(e as Error).message}\n`);
    return 1;
  }
  const connection = socket;
  return new Promise<number>((resolve) => {
    let stdinEnded = false;
    const fail = (message: string) => {
      io.stderr.write(`${PREFIX}${message}\n`);
      // Stop reading stdin, or an open stdin would keep the process alive.
      io.stdin.unpipe(connection);
      io.stdin.pause();
      connection.destroy();
      resolve(1);
    };
    // Bytes are forwarded as they come, a cut last line too: the daemon answers it with
    // `error: bad-command incomplete line` and does not run it, so every line still gets its one
    // reply. pipe() stops reading stdin while the daemon does not take more (its backpressure)
    // and half-closes the connection at EOF: the daemon answers what it has, then closes.
    io.stdin.once('end', () => (stdinEnded = true));
    io.stdin.pipe(connection);
    connection.on('data', (chunk) => io.stdout.write(chunk));
    connection.once('error', (e) => fail(`connection lost: ${e.message}`));
    // Before stdin ends the daemon ends the connection only when it refuses the client (busy, a
    // line timeout; its error line was printed) or stops.
    connection.once('end', () => {
      if (!stdinEnded) fail('the agent closed the connection');
    });
    connection.once('close', () => resolve(stdinEnded ? 0 : 1));
  });
}

/** Send one line and return the one reply line. */
export async function request(target: string | ClientSocket, line: string, patienceMs = CONNECT_PATIENCE_MS): Promise<string> {
  const socket = await connectControl(target, patienceMs);
  try {
    return await exchangeOne(socket, line);
  } finally {
    socket.destroy();
  }
}

/**
 * `pikvm-agent ctl [--json] WORDS…`: resolves to the exit code. The reply line goes to stdout as it
 * is; with `json`, only its JSON value (nothing for a bare `ok`, the error line on stderr), so
 * `pikvm-agent ctl --json status | jq .video` works.
 */
export async function runCtl(target: string | ClientSocket, words: string[], io: Pick<ClientIo, 'stdout' | 'stderr'>, json = false): Promise<number> {
  const reply = await request(target, words.join(' '));
  const failed = reply.startsWith('error:');
  if (!json) io.stdout.write(reply + '\n');
  else if (failed) io.stderr.write(`${PREFIX}${reply}\n`);
  else if (reply.startsWith('ok ')) io.stdout.write(reply.slice(3) + '\n');
  return failed ? 1 : 0;
}

/** `pikvm-agent input [--screen WxH]` */
export async function inputCommand(args: ParsedArgs<{ screen: { type: 'string'; help: string } }>, io: CommandIo): Promise<number> {
  const screen = args.values.screen;
  const size = screen === undefined ? undefined : /^(\d{1,5})x(\d{1,5})$/.exec(screen);
  if (size === null) throw new UsageError(`--screen is WIDTHxHEIGHT like 1024x768, got ${JSON.stringify(screen)}`);
  return runInput(await clientSocket(), { stdin: io.stdin ?? process.stdin, stdout: io.stdout, stderr: io.stderr }, size && { width: Number(size[1]), height: Number(size[2]) });
}

/** `pikvm-agent ctl [--json] COMMAND [ARGS…]` */
export async function ctlCommand(args: ParsedArgs<{ json: { type: 'boolean'; help: string } }>, io: CommandIo): Promise<number> {
  if (args.positionals.length === 0) throw new UsageError('ctl needs a control command (e.g. ctl status, ctl storage eject)');
  return runCtl(await clientSocket(), args.positionals, io, args.values.json ?? false);
}
