/**
 * The clients of the control socket that workers and people run:
 * - `pikvm-agent input`: what a worker's GENERAL_HW_INPUT_CMD runs (over ssh). Copies stdin lines
 *   to the socket and replies to stdout, one per line, and exits 0 once stdin ends and every reply
 *   has arrived (a last line without its newline is refused by the daemon, not run). os-autoinst closes stdin at job end and waits for us to exit
 *   (`backend/generalhw.pm`), so EOF must end the process.
 * - `pikvm-agent ctl WORDS…`: one command, prints its reply, exit 1 on `error:`.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** `pikvm-agent input`: resolves to the exit code. */
export async function runInput(socketPath: string, io: ClientIo): Promise<number> {
  let socket: net.Socket;
  try {
    socket = await connectControl(socketPath);
  } catch (e) {
    io.stderr.write(`pikvm-agent input: ${(e as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stdinEnded = false;
    const fail = (message: string) => {
      io.stderr.write(`pikvm-agent input: ${message}\n`);
      // Stop reading stdin, or an open stdin would keep the process alive.
      io.stdin.unpipe(socket);
      io.stdin.pause();
      socket.destroy();
      resolve(1);
    };
    // Bytes are forwarded as they come, a cut last line too: the daemon answers it with
    // `error: bad-command incomplete line` and does not run it, so every line still gets its one
    // reply. pipe() stops reading stdin while the daemon does not take more (its backpressure)
    // and half-closes the socket at EOF: the daemon answers what it has, then closes.
    io.stdin.once('end', () => (stdinEnded = true));
    io.stdin.pipe(socket);
    socket.on('data', (chunk) => io.stdout.write(chunk));
    socket.once('error', (e) => fail(`connection lost: ${e.message}`));
    // Before stdin ends the daemon ends the connection only when it refuses the client (busy, a
    // line timeout; its error line was printed) or stops.
    socket.once('end', () => {
      if (!stdinEnded) fail('the agent closed the connection');
    });
    socket.once('close', () => resolve(stdinEnded ? 0 : 1));
  });
}

/** Send one line and return the one reply line. */
export async function request(socketPath: string, line: string, patienceMs = CONNECT_PATIENCE_MS): Promise<string> {
  const socket = await connectControl(socketPath, patienceMs);
  return new Promise<string>((resolve, reject) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      buffered += text;
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        socket.destroy();
        resolve(buffered.slice(0, nl));
      }
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the agent closed the connection without a reply')));
    socket.end(line + '\n');
  });
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

/**
 * `pikvm-agent signal`: exit 0 when the video source has a signal, 1 when it has not, 2 when the
 * daemon cannot tell (unreachable, no video). Power scripts use it as "is the SUT on?".
 */
export async function runSignal(socketPath: string, io: ClientIo): Promise<number> {
  let reply: string;
  try {
    reply = await request(socketPath, 'status');
  } catch (e) {
    io.stderr.write(`pikvm-agent signal: ${(e as Error).message}\n`);
    return 2;
  }
  const online = /^ok /.test(reply) ? (JSON.parse(reply.slice(3)) as { video?: { signal?: { online?: unknown } } }).video?.signal?.online : undefined;
  if (typeof online !== 'boolean') {
    io.stderr.write(`pikvm-agent signal: the agent reports no video signal state (${reply.slice(0, 80)})\n`);
    return 2;
  }
  io.stdout.write(online ? 'signal\n' : 'no signal\n');
  return online ? 0 : 1;
}
