/**
 * The control socket: a Unix-socket server speaking the line protocol, one `ControlConnection`
 * per client (ordering, one reply per line, bounded memory). At most `maxConnections` clients are
 * served at once: each holds a file descriptor, and a flood of idle connections must not use up
 * the process's descriptors (LimitNOFILE) and make the next key fail. A connection over the cap
 * gets one `error: busy …` line and is closed. A client that goes away gets its keys and buttons
 * released.
 */
import net from 'node:net';
import { AgentError } from '../errors';
import type { Logger } from '../log';
import { listenUnix, unlinkSocket } from '../platform/unix-socket';
import { type ConnectionLimits, ControlConnection } from './connection';
import type { Dispatcher } from './dispatcher';
import { errorReply } from './reply';

export interface ControlServerOptions extends ConnectionLimits {
  socketPath: string;
  mode: number;
  group: string;
  /** Clients served at once (`control.max_connections`). */
  maxConnections: number;
}

/** How long a refused client may still send before its connection is closed. */
const REFUSED_LINGER_MS = 1000;

export class ControlServer {
  private server: net.Server | null = null;
  private readonly connections = new Set<net.Socket>();
  /** Refused clients whose input is still read and dropped (at most `maxConnections`). */
  private readonly refused = new Set<net.Socket>();
  /** Set while at the cap, so a flood of refused clients logs one line, not one per client. */
  private refusing = false;
  /** The ceiling from the process's descriptor budget (`limitConnections`), if lower than the config. */
  private budget = Infinity;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly options: ControlServerOptions,
    private readonly logger: Logger,
  ) {}

  /** Control connections open now (the status page shows them). */
  get clientCount(): number {
    return this.connections.size;
  }

  /**
   * At most `n` clients at once whatever `control.max_connections` says (the agent's descriptor
   * budget, compose/connection-budget.ts). It is also the hard ceiling on open sockets, served and
   * refused together: past it Node closes a connection on accept, without the busy line.
   */
  limitConnections(n: number): void {
    this.budget = n;
    if (this.server) this.server.maxConnections = n;
  }

  private get cap(): number {
    return Math.min(this.options.maxConnections, this.budget);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    if (this.budget !== Infinity) server.maxConnections = this.budget;
    await listenUnix(server, this.options.socketPath, { mode: this.options.mode, group: this.options.group });
    this.server = server;
    this.logger.info('listening', { socket: this.options.socketPath });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const socket of [...this.connections, ...this.refused]) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlinkSocket(this.options.socketPath);
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.cap) return this.refuse(socket);
    this.connections.add(socket);
    const session = this.dispatcher.attachClient();
    new ControlConnection(socket, this.dispatcher, session, this.options, this.logger).serve(() => {
      this.connections.delete(socket);
      if (this.connections.size < this.cap) this.refusing = false;
      session.close(); // its settings (the coordinate space) go with it
      // Whatever the client held (a mouse button between `mouse_button 1` and `0`) is let go.
      void this.dispatcher.releaseAll();
    });
  }

  /**
   * One `error: busy` line and our side is closed. A client that writes at once (`ctl`, `input`)
   * must be able to read that line: closing the descriptor with its input unread would fail its
   * write with EPIPE or reset the connection first. So its input is read and dropped until it
   * closes, for at most REFUSED_LINGER_MS, and for at most `maxConnections` refused clients at a
   * time; past that a flood is closed at once (descriptors stay bounded).
   */
  private refuse(socket: net.Socket): void {
    const max = this.cap;
    if (!this.refusing) this.logger.warn('control connection limit reached; refusing new clients', { max_connections: max });
    this.refusing = true;
    socket.on('error', () => undefined);
    const busy = errorReply(new AgentError('busy', `${max} control connections are open (control.max_connections); try again later`));
    if (this.refused.size >= max) {
      socket.end(busy + '\n', () => socket.destroy());
      return;
    }
    this.refused.add(socket);
    const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
    socket.on('close', () => {
      clearTimeout(linger);
      this.refused.delete(socket);
    });
    socket.resume(); // drop what it sends; it closes once the client has closed its side too
    socket.end(busy + '\n');
  }
}
