/**
 * How many connections each listener may hold so that clients can never take the descriptors the
 * agent needs for itself. Every socket, device node and file shares one per-process limit
 * (RLIMIT_NOFILE, `LimitNOFILE=4096` in the unit); 4,200 idle connections to the control socket
 * once used them all, and the next key failed with EMFILE writing the lease file (issue 11).
 *
 * A reserve released just before the lease file is opened does not work in an event loop: the
 * open is asynchronous (libuv's thread pool), and the loop accepts connections meanwhile, taking the
 * freed slots. So the reserve is kept by arithmetic instead: the listeners together may hold at most
 * what is left after the descriptors open at start and `AGENT_RESERVED_FDS`; over its share a
 * listener closes new connections as soon as they are accepted (Node's net.Server.maxConnections).
 */
import { AgentError } from '../errors';

/**
 * Descriptors the agent may open after start besides its connections: the hidg nodes (2), the
 * capture node or ustreamer's socket, the lease file's temporary copy, configfs and sysfs attributes
 * (one at a time per operation, a few operations at once), systemctl's pipes (3 per child), the
 * sd_notify socket, EDID and image files read during a take. 64 is several times that.
 */
export const AGENT_RESERVED_FDS = 64;

/**
 * What one connection may hold at once: its socket and one file read while answering (a kickstart
 * template, a sysfs attribute for `status`).
 */
export const FDS_PER_CONNECTION = 2;

/**
 * The cap per listener: an equal share of what is left of `limit` (null: unlimited) once the
 * `inUse` descriptors, the listeners' own sockets and the reserve are set aside. Throws when the
 * limit leaves no room for even one client per listener.
 */
export function connectionCap(limit: number | null, inUse: number, listeners: number): number | undefined {
  if (limit === null || listeners === 0) return undefined;
  const spare = limit - inUse - listeners - AGENT_RESERVED_FDS;
  const cap = Math.floor(spare / (listeners * FDS_PER_CONNECTION));
  if (cap < 1) {
    const needed = inUse + listeners + AGENT_RESERVED_FDS + listeners * FDS_PER_CONNECTION;
    throw new AgentError('io', `open file limit ${limit} is too low: ${inUse} descriptors in use and ${AGENT_RESERVED_FDS} reserved leave no room for clients; raise it to at least ${needed} (ulimit -n, LimitNOFILE=)`);
  }
  return cap;
}
