/** Test helpers: talk to a control socket the way a client does. */
import net from 'node:net';
import { once } from 'node:events';

/** Send raw bytes, half-close, and collect every reply line until the server closes. */
export async function exchange(socketPath: string, payload: Buffer | string): Promise<string[]> {
  const socket = net.connect({ path: socketPath, allowHalfOpen: true });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(payload);
  await once(socket, 'close');
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`reply stream does not end with a newline: ${JSON.stringify(text.slice(-80))}`);
  return text.slice(0, -1).split('\n');
}

/** A connection for interactive request/reply. */
export class LineClient {
  private buffered = '';
  private waiters: Array<(line: string) => void> = [];
  private readonly lines: string[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let nl;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }

  static async connect(socketPath: string): Promise<LineClient> {
    const socket = net.connect({ path: socketPath });
    await once(socket, 'connect');
    return new LineClient(socket);
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async send(line: string): Promise<string> {
    this.socket.write(line + '\n');
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}
