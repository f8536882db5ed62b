/**
 * The control socket: a Unix-socket server speaking the line protocol. Per connection, lines are
 * answered strictly in order, one reply each; reading pauses while too many lines wait (bounded
 * memory, no dropped lines). A client that goes away gets its keys and buttons released.
 */
import net from 'node:net';
import { AgentError, describe } from '../errors';
import type { Logger } from '../log';
import { listenUnix, unlinkSocket } from '../platform/unix-socket';
import type { Dispatcher } from './dispatcher';
import { LineSplitter, type SplitItem } from './line-splitter';
import { bodyCommandName, unstuffBodyLine } from './protocol';
import { errorReply } from './reply';

export interface ControlServerOptions {
  socketPath: string;
  mode: number;
  group: string;
  maxLine: number;
  /** The largest command body (`kickstart set`: `kickstart.max_template_bytes`); default 256 KiB. */
  maxBodyBytes?: number;
}

/** Lines waiting per connection before we stop reading from it. */
const MAX_QUEUED_LINES = 256;
const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** A command body being collected: its name, lines so far, and the first problem seen. */
interface BodyInProgress {
  name: string;
  lines: string[];
  bytes: number;
  problem: string | null;
}

export class ControlServer {
  private server: net.Server | null = null;
  private readonly connections = new Set<net.Socket>();
  private maxConnections: number | undefined;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly options: ControlServerOptions,
    private readonly logger: Logger,
  ) {}

  /** Control connections open now (the status page shows them). */
  get clientCount(): number {
    return this.connections.size;
  }

  /** At most `n` clients at once (the agent's descriptor budget); Node closes further ones on accept. */
  limitConnections(n: number): void {
    this.maxConnections = n;
    if (this.server) this.server.maxConnections = n;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
    if (this.maxConnections !== undefined) server.maxConnections = this.maxConnections;
    await listenUnix(server, this.options.socketPath, { mode: this.options.mode, group: this.options.group });
    this.server = server;
    this.logger.info('listening', { socket: this.options.socketPath });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlinkSocket(this.options.socketPath);
  }

  private serve(socket: net.Socket): void {
    this.connections.add(socket);
    const splitter = new LineSplitter(this.options.maxLine);
    const queue: SplitItem[] = [];
    let working = false;
    let ended = false;
    let closed = false;
    let body: BodyInProgress | null = null;
    const session = this.dispatcher.attachClient();
    const maxBody = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

    /** The reply to one item, or null while a command body is still being collected. */
    const answer = async (item: SplitItem): Promise<string | null> => {
      if (body) {
        const current = body;
        if (item.kind === 'too-long') current.problem ??= `a body line of ${item.length} bytes exceeds ${this.options.maxLine} bytes`;
        else {
          const line = unstuffBodyLine(item.text);
          if (line === null) {
            body = null;
            if (current.problem) return errorReply(new AgentError('too-long', current.problem));
            return this.dispatcher.handleBody(current.name, current.lines.join('\n') + (current.lines.length ? '\n' : ''), session);
          }
          current.bytes += Buffer.byteLength(line) + 1;
          // Past the bound the lines are still read up to the "." (framing), but no longer kept.
          if (current.bytes > maxBody) current.problem ??= `the body exceeds ${maxBody} bytes (kickstart.max_template_bytes)`;
          else current.lines.push(line);
        }
        return null;
      }
      if (item.kind === 'too-long') return tooLong(item.length, this.options.maxLine);
      const name = bodyCommandName(item.text);
      if (name !== null) {
        body = { name, lines: [], bytes: 0, problem: null };
        return null;
      }
      return this.dispatcher.handleLine(item.text, session);
    };

    const pump = async (): Promise<void> => {
      if (working) return;
      working = true;
      while (queue.length > 0 && !closed) {
        const item = queue.shift()!;
        if (queue.length < MAX_QUEUED_LINES / 2 && socket.isPaused() && !ended) socket.resume();
        const reply = await answer(item);
        if (reply !== null && !closed) socket.write(reply + '\n');
      }
      working = false;
      if (ended && body && !closed) {
        // End of input inside a body: the command never completed; it still gets its one reply.
        body = null;
        socket.write(errorReply(new AgentError('bad-command', 'the input ended before the body\'s terminating "." line')) + '\n');
      }
      if (ended && !closed) socket.end();
    };

    const enqueue = (items: SplitItem[]) => {
      if (items.length === 0) return;
      queue.push(...items);
      if (queue.length >= MAX_QUEUED_LINES) socket.pause();
      void pump();
    };

    socket.on('data', (chunk: Buffer) => enqueue(splitter.push(chunk)));
    socket.on('end', () => {
      ended = true;
      enqueue(splitter.end());
      if (!working) void pump();
    });
    socket.on('error', (e) => this.logger.debug('client connection error', { error: describe(e) }));
    socket.on('close', () => {
      closed = true;
      this.connections.delete(socket);
      session.close(); // its settings (the coordinate space) go with it
      // Whatever the client held (a mouse button between `mouse_button 1` and `0`) is let go.
      void this.dispatcher.releaseAll();
    });
  }
}

function tooLong(length: number, max: number): string {
  return errorReply(new AgentError('too-long', `line of ${length} bytes exceeds the limit of ${max} bytes`));
}
