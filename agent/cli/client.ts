/**
 * The clients of the control socket that workers and people run:
 * - `pikvm-agent input`: what a worker's GENERAL_HW_INPUT_CMD runs (over ssh). Copies stdin lines
 *   to the socket and replies to stdout, one per line, and exits 0 once stdin ends and every reply
 *   has arrived (a last line without its newline is refused by the daemon, not run). os-autoinst
 *   closes stdin at job end and waits for us to exit (`backend/generalhw.pm`), so EOF must end the
 *   process. Upstream os-autoinst reads exactly one `ok` per line it sent
 *   (`consoles/video_stream.pm`, PR #2514): with `--screen WxH` the `screen W H` line is ours, so
 *   its reply is read here and never reaches stdout.
 * - `pikvm-agent ctl WORDS…`: one command, prints its reply, exit 1 on `error:`.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScreenSize } from '../hid/space';

/** How long a client keeps trying while the daemon is (re)starting. */
const CONNECT_PATIENCE_MS = 10_000;
const CONNECT_RETRY_MS = 200;

export async function connectControl(socketPath: string, patienceMs = CONNECT_PATIENCE_MS): Promise<net.Socket> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ path: socketPath, allowHalfOpen: true });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
        socket.once('error', reject);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const retryable = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EAGAIN';
      if (!retryable || Date.now() >= deadline) {
        throw new Error(`cannot connect to the agent's control socket ${socketPath}: ${code ?? String(e)}`);
      }
      await sleep(CONNECT_RETRY_MS);
    }
  }
}

export interface ClientIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
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
export async function runInput(socketPath: string, io: ClientIo, screen?: ScreenSize): Promise<number> {
  let socket: net.Socket | undefined;
  try {
    socket = await connectControl(socketPath);
    if (screen) {
      const reply = await exchangeOne(socket, `screen ${screen.width} ${screen.height}`);
      if (reply !== 'ok') throw new Error(`--screen ${screen.width}x${screen.height}: ${reply}`);
    }
  } catch (e) {
    socket?.destroy();
    io.stderr.write(`pikvm-agent input: ${(e as Error).message}\n`);
    return 1;
  }
  const connection = socket;
  return new Promise<number>((resolve) => {
    let stdinEnded = false;
    const fail = (message: string) => {
      io.stderr.write(`pikvm-agent input: ${message}\n`);
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
export async function request(socketPath: string, line: string, patienceMs = CONNECT_PATIENCE_MS): Promise<string> {
  const socket = await connectControl(socketPath, patienceMs);
  try {
    return await exchangeOne(socket, line);
  } finally {
    socket.destroy();
  }
}

/** `pikvm-agent ctl WORDS…`: resolves to the exit code. */
export async function runCtl(socketPath: string, words: string[], io: ClientIo): Promise<number> {
  if (words.length === 0) {
    io.stderr.write('usage: pikvm-agent ctl COMMAND [ARGS…]  (e.g. ctl status, ctl storage eject)\n');
    return 2;
  }
  try {
    const reply = await request(socketPath, words.join(' '));
    io.stdout.write(reply + '\n');
    return reply.startsWith('error:') ? 1 : 0;
  } catch (e) {
    io.stderr.write(`pikvm-agent ctl: ${(e as Error).message}\n`);
    return 1;
  }
}
