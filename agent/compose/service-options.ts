/**
 * The configuration mapped onto each service's options: the one place that knows both the
 * config's key names (snake_case, seconds) and the services' option names (camelCase, ms).
 */
import path from 'node:path';
import type { AgentConfig } from '../config';
import type { ControlServerOptions } from '../control/server';
import type { GadgetOptions } from '../gadget/spec';
import type { MassStorageDeps } from '../gadget/storage';
import type { LeaseOptions } from '../handoff/lease';
import { LEASE_FILE_NAME } from '../handoff/lease-store';
import type { ScreenSize } from '../hid/space';
import type { HttpSurfaceOptions } from '../http/surface';
import type { KickstartStoreOptions } from '../kickstart/store';
import { LOCK_FILE_NAME } from '../platform/instance-lock';

/**
 * `hid.screen_width`×`hid.screen_height`: the coordinate space every control connection starts
 * with, and the mode the simulated SUT starts in (so that, out of the box, a client's position is
 * the virtual screen's pixel).
 */
export function configuredSpace(config: AgentConfig): ScreenSize {
  return { width: config.hid.screen_width, height: config.hid.screen_height };
}

export function gadgetOptions(config: AgentConfig): GadgetOptions {
  const g = config.gadget;
  const s = config.storage;
  return {
    name: g.name,
    udc: g.udc,
    vendorId: g.vendor_id,
    productId: g.product_id,
    bcdDevice: g.bcd_device,
    bcdUSB: g.bcd_usb,
    manufacturer: g.manufacturer,
    product: g.product,
    serial: g.serial,
    maxPower: g.max_power,
    luns: s.luns,
    inquiry: { vendor: s.inquiry_vendor, product: s.inquiry_product, revision: s.inquiry_revision },
  };
}

export function storageOptions(config: AgentConfig): Pick<MassStorageDeps, 'gadgetName' | 'luns' | 'imageDirs'> {
  return { gadgetName: config.gadget.name, luns: config.storage.luns, imageDirs: config.storage.image_dirs };
}

export function leaseOptions(config: AgentConfig): Pick<LeaseOptions, 'idleReleaseMs' | 'cooperativeVideo'> & { storeFile: string } {
  return {
    storeFile: path.join(config.run_dir, LEASE_FILE_NAME),
    idleReleaseMs: config.handoff.idle_release_s * 1000,
    cooperativeVideo: config.handoff.cooperative_video,
  };
}

/** One agent per run directory (platform/instance-lock.ts). */
export function lockFile(config: AgentConfig): string {
  return path.join(config.run_dir, LOCK_FILE_NAME);
}

export function kickstartStoreOptions(config: AgentConfig): Omit<KickstartStoreOptions, 'logger'> {
  const ks = config.kickstart;
  return {
    dir: ks.dir,
    uploadDir: path.join(config.run_dir, 'kickstart'),
    limits: { templateBytes: ks.max_template_bytes, uploads: ks.max_uploads, uploadBytes: ks.max_upload_bytes },
  };
}

export function controlServerOptions(config: AgentConfig): ControlServerOptions {
  const c = config.control;
  return {
    socketPath: c.socket,
    mode: c.mode,
    group: c.group,
    maxLine: c.max_line,
    maxBodyBytes: config.kickstart.max_template_bytes,
    maxConnections: c.max_connections,
    lineTimeoutMs: c.line_timeout_s * 1000,
    idleTimeoutMs: c.idle_timeout_s * 1000,
  };
}

/** `token`: the TCP listener's access token as resolved from `http.token`/`http.token_file`. */
export function httpSurfaceOptions(config: AgentConfig, token: string): HttpSurfaceOptions {
  const { http, kickstart } = config;
  return {
    maxStreams: http.max_streams,
    kickstart: { defaultTemplate: kickstart.default, vars: kickstart.vars, queryVars: kickstart.query_vars },
    servers: {
      listen: http.listen,
      unixSocket: http.unix_socket ?? '',
      // nginx reaches the agent through the socket: it gets the control socket's mode and group.
      mode: config.control.mode,
      group: config.control.group,
      timeouts: { headersMs: http.headers_timeout_s * 1000, requestMs: http.request_timeout_s * 1000, keepAliveMs: http.keep_alive_timeout_s * 1000 },
    },
    token,
  };
}

/** The listeners the agent opens: the control socket, the HTTP TCP address, the HTTP socket. */
export function listenerCount(config: AgentConfig): number {
  return 1 + (config.http.listen !== '' ? 1 : 0) + (config.http.unix_socket ? 1 : 0);
}
