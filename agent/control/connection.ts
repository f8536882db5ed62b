/**
 * One control connection: its lines are answered strictly in order, one reply each, and what it
 * holds in memory is bounded whatever the client does:
 * - received input waits as raw bytes; reading pauses while more than MAX_UNREAD_BYTES of it wait;
 * - replies: while more than MAX_UNSENT_BYTES wait for a client that does not read, no further
 *   line is executed and reading pauses; both resume on 'drain';
 * - a `kickstart set` body is bounded by MAX_BODY_BYTES.
 *
 * A line is executed only once its LF has arrived. A line the input ends in (EOF, a line started
 * but not finished within `lineTimeoutMs`, an idle timeout) is answered with an error and logged,
 * never run: `printf 'cmd rm -rf /srv/old' | head -c 20` must not type `rm -rf /s` and press Enter.
 */
import type net from 'node:net';
import { AgentError, describe } from '../errors';
import type { Logger } from '../log';
import { CommandBody } from './command-body';
import type { Dispatcher } from './dispatcher';
import type { ControlSession } from './sessions';
import { type IncompleteLine, LineSplitter, type SplitItem } from './line-splitter';
import { bodyCommandName, unstuffBodyLine } from './protocol';
import { errorReply } from './reply';

/** Received, not yet executed input above which reading pauses (a pipelined `type` burst fits). */
const MAX_UNREAD_BYTES = 64 * 1024;
/** Replies not yet taken by the client above which execution and reading pause. */
const MAX_UNSENT_BYTES = 64 * 1024;
/** The largest command body (`kickstart set`): a kickstart template's size limit. */
const MAX_BODY_BYTES = 256 * 1024;

export interface ConnectionLimits {
  /** Longest line in bytes (`control.max_line`). */
  maxLine: number;
  /** A started line must get its LF within this time (`control.line_timeout_s`); 0 = no bound. */
  lineTimeoutMs: number;
  /** A connection with nothing to do for this long is closed (`control.idle_timeout_s`); 0 = never. */
  idleTimeoutMs: number;
  /** The largest command body (`kickstart set`: `kickstart.max_template_bytes`); default 256 KiB. */
  maxBodyBytes?: number;
}

/** Why a connection's input ended. */
type InputEnd = 'eof' | 'line-timeout' | 'idle';

export class ControlConnection {
  private readonly input: LineSplitter;
  private body: CommandBody | null = null;
  private working = false;
  private waitingForDrain = false;
  private ended: InputEnd | null = null;
  private finished = false;
  private closed = false;
  private lineTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly dispatcher: Dispatcher,
    private readonly session: ControlSession,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
  ) {
    this.input = new LineSplitter(limits.maxLine);
  }

  /** Serve the connection; `onClose` runs once when it is gone. */
  serve(onClose: () => void): void {
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.endInput('eof'));
    socket.on('error', (e) => this.logger.debug('client connection error', { error: describe(e) }));
    socket.on('close', () => {
      this.closed = true;
      this.clearLineTimer();
      onClose();
    });
    if (this.limits.idleTimeoutMs > 0) {
      socket.setTimeout(this.limits.idleTimeoutMs);
      socket.on('timeout', () => this.idle());
    }
  }

  private received(chunk: Buffer): void {
    if (this.ended) return; // after a timeout the rest is not read; the socket closes soon
    this.input.push(chunk);
    // A chunk with a LF completed a line, so a trailing partial one is a new line: time it afresh.
    this.updateFlow(chunk.includes(0x0a));
    void this.pump();
  }

  private endInput(reason: InputEnd): void {
    if (this.ended) return;
    this.ended = reason;
    this.updateFlow();
    void this.pump();
  }

  /** Nothing received or sent for `idleTimeoutMs` (a running command keeps the connection). */
  private idle(): void {
    if (this.waitingForDrain) {
      this.logger.info('closing a control connection whose client does not read its replies', { idle_s: this.limits.idleTimeoutMs / 1000 });
      this.socket.destroy();
    } else if (!this.working) {
      this.logger.info('closing an idle control connection', { idle_s: this.limits.idleTimeoutMs / 1000 });
      this.endInput('idle');
    }
  }

  /** Read while there is room for input and the client takes its replies; time a started line. */
  private updateFlow(lineCompleted = false): void {
    // Paused for input, reading resumes at half the bound: not a pause and resume per line.
    const unreadBound = this.socket.isPaused() ? MAX_UNREAD_BYTES / 2 : MAX_UNREAD_BYTES;
    const reading =
      this.ended === null && !this.closed && this.input.unread <= unreadBound && this.socket.writableLength <= MAX_UNSENT_BYTES;
    if (reading && this.socket.isPaused()) this.socket.resume();
    else if (!reading && !this.socket.isPaused()) this.socket.pause();
    // Only a line the client is still sending is timed: while we do not read, it cannot finish it.
    if (!reading || !this.input.midLine || lineCompleted) this.clearLineTimer();
    if (reading && this.input.midLine && this.lineTimer === null && this.limits.lineTimeoutMs > 0) {
      this.lineTimer = setTimeout(() => this.endInput('line-timeout'), this.limits.lineTimeoutMs);
    }
  }

  private clearLineTimer(): void {
    if (this.lineTimer) clearTimeout(this.lineTimer);
    this.lineTimer = null;
  }

  private async pump(): Promise<void> {
    if (this.working) return;
    this.working = true;
    while (!this.closed) {
      if (this.socket.writableLength > MAX_UNSENT_BYTES) {
        this.waitingForDrain = true;
        this.updateFlow();
        await drainedOrClosed(this.socket);
        this.waitingForDrain = false;
        this.updateFlow();
        continue;
      }
      const item = this.input.next();
      if (item === null) break;
      this.updateFlow();
      const reply = await this.answer(item);
      if (reply !== null && !this.closed) this.socket.write(reply + '\n');
    }
    this.working = false;
    if (this.ended !== null && !this.closed) this.finish(this.ended);
  }

  /** The reply to one item, or null while a command body is still being collected. */
  private async answer(item: SplitItem): Promise<string | null> {
    const body = this.body;
    if (body) {
      if (item.kind === 'too-long') body.refuse(`a body line of ${item.length} bytes exceeds ${this.limits.maxLine} bytes`);
      else {
        const line = unstuffBodyLine(item.text);
        if (line === null) {
          this.body = null;
          let text: string;
          try {
            text = body.text();
          } catch (e) {
            return errorReply(e);
          }
          return this.dispatcher.handleBody(body.name, text, this.session);
        }
        body.addLine(line);
      }
      return null;
    }
    if (item.kind === 'too-long') {
      return errorReply(new AgentError('too-long', `line of ${item.length} bytes exceeds the limit of ${this.limits.maxLine} bytes`));
    }
    const name = bodyCommandName(item.text);
    if (name !== null) {
      this.body = new CommandBody(name, this.limits.maxBodyBytes ?? MAX_BODY_BYTES, 'kickstart.max_template_bytes');
      return null;
    }
    return this.dispatcher.handleLine(item.text, this.session);
  }

  /**
   * Every complete line is answered; what is left is not run: an unfinished line or command body
   * gets its one error reply (the client may still read after a half-close) and the log says so.
   */
  private finish(reason: InputEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.clearLineTimer();
    const rest = this.input.rest();
    const body = this.body;
    this.body = null;
    if (body || rest) {
      const reply = body ? cutBodyError(reason, body.name, this.limits) : incompleteLineError(reason, rest!, this.limits);
      this.logger.warn('unfinished input not executed', {
        reason,
        command: body ? `kickstart set ${body.name}` : undefined,
        bytes: rest?.length ?? 0,
        start: rest?.preview,
      });
      this.socket.write(errorReply(reply) + '\n');
    }
    // After EOF the client has closed its side; otherwise it may never: close ours once flushed.
    if (reason === 'eof') this.socket.end();
    else this.socket.end(() => this.socket.destroy());
  }
}

function waited(reason: InputEnd, limits: ConnectionLimits): string {
  return reason === 'line-timeout'
    ? `no newline within ${limits.lineTimeoutMs / 1000} s (control.line_timeout_s)`
    : `nothing received for ${limits.idleTimeoutMs / 1000} s (control.idle_timeout_s)`;
}

function incompleteLineError(reason: InputEnd, rest: IncompleteLine, limits: ConnectionLimits): AgentError {
  if (reason === 'eof') return new AgentError('bad-command', `incomplete line: the input ended after ${rest.length} bytes without a newline; not executed`);
  return new AgentError('timeout', `incomplete line: ${waited(reason, limits)}; not executed`);
}

function cutBodyError(reason: InputEnd, name: string, limits: ConnectionLimits): AgentError {
  const what = `kickstart set ${name}: nothing stored`;
  if (reason === 'eof') return new AgentError('bad-command', `the input ended before the body's terminating "." line (${what})`);
  return new AgentError('timeout', `the body's terminating "." line did not come: ${waited(reason, limits)} (${what})`);
}

function drainedOrClosed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
