/**
 * Listening on a Unix socket path the way a daemon must: create the parent directory, replace a
 * stale socket left by a crashed instance (but never steal one a live instance still answers on),
 * then restrict access (mode, group) before anyone can use it.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AgentError, errnoOf, fromErrnoWorded, isAgentError } from '../errors';

/** Resolve a group name to its gid from the group database (`/etc/group`). */
async function lookupGroupId(name: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const text = await fs.readFile(groupFile, 'utf8');
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new AgentError('not-found', `group ${JSON.stringify(name)} does not exist in ${groupFile}`);
}

function isLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

async function removeStale(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(socketPath);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw fromErrnoWorded(e, `${socketPath}: inspecting`);
  }
  if (!stat.isSocket()) throw new AgentError('busy', `${socketPath}: exists and is not a socket; refusing to replace it`);
  if (await isLive(socketPath)) throw new AgentError('busy', `${socketPath}: another process is already listening`);
  await fs.unlink(socketPath).catch((e) => {
    throw fromErrnoWorded(e, `${socketPath}: removing the stale socket`);
  });
}

export interface UnixListenOptions {
  mode: number;
  /** Group name or gid to own the socket; '' leaves the group as created. */
  group: string;
}

/**
 * Listen `server` on `socketPath`; resolves once it is listening with its final mode and group.
 * All or nothing: when any step fails the server is closed and the socket file removed again, and
 * the error (an AgentError) begins with the path.
 */
export async function listenUnix(server: net.Server, socketPath: string, options: UnixListenOptions): Promise<void> {
  try {
    await fs.mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  } catch (e) {
    throw fromErrnoWorded(e, `${socketPath}: creating its directory`);
  }
  await removeStale(socketPath);
  // Create the socket with no access for others from the first instant, then widen to `mode`.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    throw fromErrnoWorded(e, socketPath);
  } finally {
    process.umask(oldMask);
  }
  try {
    if (options.group !== '') {
      const gid = await lookupGroupId(options.group);
      await fs.chown(socketPath, -1, gid);
    }
    await fs.chmod(socketPath, options.mode);
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlinkSocket(socketPath);
    if (isAgentError(e)) throw new AgentError(e.code, `${socketPath}: ${e.message}`, e);
    throw fromErrnoWorded(e, `${socketPath}: setting group ${options.group || '-'} and mode 0o${options.mode.toString(8)}`);
  }
}

/** Remove our socket file at shutdown (it is ours only if we listened on it). */
export async function unlinkSocket(socketPath: string): Promise<void> {
  await fs.unlink(socketPath).catch(() => undefined);
}
