/**
 * The one place configfs is mutated: executes plan Ops through a `ConfigFs`, logs each mutation
 * with its fixed verb (kvmd's otg logs the same way), translates errno once.
 */
import { AgentError, errnoOf, fromErrno } from '../errors';
import type { Logger } from '../log';
import type { ConfigFs } from './configfs';
import { GADGET_ROOT, gadgetPath, type ObservedFunction, type ObservedGadget, type Op } from './plan';

export interface OpFailure {
  op: Op;
  /** errno name as the kernel reported it (EBUSY, ENOTEMPTY…), if any. */
  errno: string | undefined;
  error: AgentError;
}

export interface ApplyReport {
  applied: Op[];
  skipped: Op[];
  failures: OpFailure[];
}

/** `WRITE path=value`; binary values show their size, control characters are escaped. */
export function describeOp(op: Op): string {
  switch (op.verb) {
    case 'WRITE': {
      const v = op.value ?? '';
      const shown = typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : `<${v.length} bytes>`;
      return `WRITE ${op.path}=${shown}`;
    }
    case 'LINK':
      return `LINK ${op.path} -> ${op.target ?? ''}`;
    default:
      return `${op.verb} ${op.path}`;
  }
}

async function perform(fs: ConfigFs, op: Op): Promise<void> {
  switch (op.verb) {
    case 'MKDIR':
      return fs.mkdir(op.path);
    case 'WRITE':
      return fs.write(op.path, op.value ?? '');
    case 'LINK':
      if (op.target === undefined) throw new AgentError('internal', `LINK ${op.path} without a target`);
      return fs.symlink(op.target, op.path);
    case 'UNLINK':
      return fs.unlink(op.path);
    case 'RMDIR':
      return fs.rmdir(op.path);
  }
}

/** Run one op; returns false when an optional op was skipped because its path is absent. */
async function runOne(fs: ConfigFs, op: Op, logger: Logger): Promise<boolean> {
  if (op.optional && !(await fs.exists(op.path))) {
    logger.debug(`SKIP ${op.path}`, { reason: 'absent' });
    return false;
  }
  logger.info(describeOp(op));
  await perform(fs, op);
  return true;
}

function failure(op: Op, e: unknown): OpFailure {
  return { op, errno: errnoOf(e), error: fromErrno(e, describeOp(op)) };
}

/**
 * Run ops in order. `stopAtFirst` (setup): the first failure is thrown, translated and naming the
 * op. Otherwise (teardown): every op is tried independently and failures are collected.
 */
async function applyOps(fs: ConfigFs, ops: readonly Op[], logger: Logger, stopAtFirst: boolean): Promise<ApplyReport> {
  const report: ApplyReport = { applied: [], skipped: [], failures: [] };
  for (const op of ops) {
    try {
      if (await runOne(fs, op, logger)) report.applied.push(op);
      else report.skipped.push(op);
    } catch (e) {
      const f = failure(op, e);
      (stopAtFirst ? logger.error : logger.warn)(`${op.verb} failed`, { path: op.path, errno: f.errno });
      if (stopAtFirst) throw f.error;
      report.failures.push(f);
    }
  }
  return report;
}

/** Setup mode: stop at the first failure and throw it (translated, naming the op). */
export function applyAll(fs: ConfigFs, ops: readonly Op[], logger: Logger): Promise<ApplyReport> {
  return applyOps(fs, ops, logger, true);
}

/** Teardown mode: every op is tried independently; failures are collected, never thrown. */
export function applyEach(fs: ConfigFs, ops: readonly Op[], logger: Logger): Promise<ApplyReport> {
  return applyOps(fs, ops, logger, false);
}

async function listNames(fs: ConfigFs, path: string, kind: 'dir' | 'link'): Promise<string[]> {
  try {
    return (await fs.list(path)).filter((e) => e.kind === kind).map((e) => e.name);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return [];
    throw fromErrno(e, `list ${path}`);
  }
}

/**
 * Directories below a function that were made with mkdir. For mass storage that is `lun.N` with
 * N > 0: `lun.0` is a default group (f_mass_storage.c fsg_alloc_inst) and goes with the function.
 */
async function observeFunction(fs: ConfigFs, gadget: string, name: string): Promise<ObservedFunction> {
  const children = name.startsWith('mass_storage.')
    ? (await listNames(fs, gadgetPath(gadget, 'functions', name), 'dir')).filter((c) => /^lun\.[1-9]\d*$/.test(c))
    : [];
  return { name, createdChildren: children };
}

/** Names of the gadgets under `usb_gadget/`. */
export async function listGadgets(fs: ConfigFs): Promise<string[]> {
  return listNames(fs, GADGET_ROOT, 'dir');
}

/** The UDC a gadget is bound to, or null (the `UDC` attribute reads "\n" when unbound). */
export async function readBoundUdc(fs: ConfigFs, gadget: string): Promise<string | null> {
  try {
    const v = (await fs.read(gadgetPath(gadget, 'UDC'))).trim();
    return v === '' ? null : v;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw fromErrno(e, `read ${gadgetPath(gadget, 'UDC')}`);
  }
}

/** Read what is actually under `usb_gadget/<name>`; null when the gadget does not exist. */
export async function observeGadget(fs: ConfigFs, name: string): Promise<ObservedGadget | null> {
  if (!(await fs.exists(gadgetPath(name)))) return null;
  const configNames = await listNames(fs, gadgetPath(name, 'configs'), 'dir');
  const configs = [];
  for (const c of configNames) {
    configs.push({
      name: c,
      links: await listNames(fs, gadgetPath(name, 'configs', c), 'link'),
      strings: await listNames(fs, gadgetPath(name, 'configs', c, 'strings'), 'dir'),
    });
  }
  const functions = [];
  for (const f of await listNames(fs, gadgetPath(name, 'functions'), 'dir')) functions.push(await observeFunction(fs, name, f));
  return {
    name,
    udc: await readBoundUdc(fs, name),
    strings: await listNames(fs, gadgetPath(name, 'strings'), 'dir'),
    configs,
    functions,
    osDescLinks: await listNames(fs, gadgetPath(name, 'os_desc'), 'link'),
  };
}

/** Every directory and link still present under the gadget, for "what is left" reports. */
export function leftoverPaths(observed: ObservedGadget | null): string[] {
  if (observed === null) return [];
  const g = (...rest: string[]) => gadgetPath(observed.name, ...rest);
  const out = [g()];
  if (observed.udc !== null) out.push(`${g('UDC')}=${observed.udc}`);
  for (const l of observed.osDescLinks) out.push(g('os_desc', l));
  for (const s of observed.strings) out.push(g('strings', s));
  for (const c of observed.configs) {
    out.push(g('configs', c.name));
    for (const l of c.links) out.push(g('configs', c.name, l));
    for (const s of c.strings) out.push(g('configs', c.name, 'strings', s));
  }
  for (const f of observed.functions) {
    out.push(g('functions', f.name));
    for (const c of f.createdChildren) out.push(g('functions', f.name, c));
  }
  return out;
}
