/**
 * The pure plan: spec → ordered configfs operations, observed tree → teardown operations.
 * No I/O imports in this file; `apply.ts` executes the result.
 *
 * Order (Documentation/usb/gadget_configfs.rst, kvmd otg): gadget dir → IDs → strings → config →
 * functions and their attributes → links into the config; bind is a separate step. Teardown is
 * the reverse, computed from what is actually there so a half-built gadget is removed too.
 */
import type { AttributeSpec, GadgetSpec } from './spec';

export type OpVerb = 'MKDIR' | 'WRITE' | 'LINK' | 'UNLINK' | 'RMDIR';

export interface Op {
  verb: OpVerb;
  /** Relative to the configfs root. */
  path: string;
  /** WRITE only. */
  value?: string | Uint8Array;
  /** LINK only: the directory the link points at, relative to the configfs root. */
  target?: string;
  /** Performed only if `path` exists (WRITE of an attribute newer kernels have; UNLINK). */
  optional?: boolean;
}

/** What `observeGadget` found under `usb_gadget/<name>` (possibly half-built). */
export interface ObservedGadget {
  name: string;
  /** The UDC the gadget is bound to, or null. */
  udc: string | null;
  /** Language dirs under `strings/`. */
  strings: string[];
  configs: ObservedConfig[];
  functions: ObservedFunction[];
  /** Links under `os_desc/` (another tool may have made them; they pin a config). */
  osDescLinks: string[];
}

export interface ObservedConfig {
  name: string;
  links: string[];
  strings: string[];
}

export interface ObservedFunction {
  name: string;
  /** Directories created below the function with mkdir (`lun.1`…), not default groups. */
  createdChildren: string[];
}

export const GADGET_ROOT = 'usb_gadget';

export function gadgetPath(name: string, ...rest: string[]): string {
  return [GADGET_ROOT, name, ...rest].join('/');
}

function writes(dir: string, attributes: readonly AttributeSpec[]): Op[] {
  return attributes.map((a) => {
    const op: Op = { verb: 'WRITE', path: `${dir}/${a.name}`, value: a.value };
    if (a.optional) op.optional = true;
    return op;
  });
}

export function planLinks(spec: GadgetSpec): Op[] {
  return spec.functions.map((f) => ({
    verb: 'LINK',
    path: gadgetPath(spec.name, 'configs', spec.config.name, f.name),
    target: gadgetPath(spec.name, 'functions', f.name),
  }));
}

export function planSetup(spec: GadgetSpec): Op[] {
  const g = (...rest: string[]) => gadgetPath(spec.name, ...rest);
  const ops: Op[] = [{ verb: 'MKDIR', path: g() }, ...writes(g(), spec.attributes)];

  ops.push({ verb: 'MKDIR', path: g('strings', spec.strings.lang) });
  ops.push(...writes(g('strings', spec.strings.lang), spec.strings.attributes));

  const config = g('configs', spec.config.name);
  const configStrings = `${config}/strings/${spec.config.strings.lang}`;
  ops.push({ verb: 'MKDIR', path: config }, { verb: 'MKDIR', path: configStrings });
  ops.push(...writes(configStrings, spec.config.strings.attributes));
  ops.push(...writes(config, spec.config.attributes));

  for (const f of spec.functions) {
    const dir = g('functions', f.name);
    ops.push({ verb: 'MKDIR', path: dir }, ...writes(dir, f.attributes));
    for (const child of f.children) {
      if (child.create) ops.push({ verb: 'MKDIR', path: `${dir}/${child.name}` });
      ops.push(...writes(`${dir}/${child.name}`, child.attributes));
    }
  }
  ops.push(...planLinks(spec));
  return ops;
}

/** Numeric-aware descending order so `lun.10` goes before `lun.9` before `lun.1`. */
function descending(names: readonly string[]): string[] {
  return [...names].sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
}

export function planTeardown(observed: ObservedGadget): Op[] {
  const g = (...rest: string[]) => gadgetPath(observed.name, ...rest);
  const ops: Op[] = [];
  // Writing a newline unbinds (gadget_dev_desc_UDC_store → unregister_gadget).
  if (observed.udc !== null) ops.push({ verb: 'WRITE', path: g('UDC'), value: '\n' });
  for (const link of observed.osDescLinks) ops.push({ verb: 'UNLINK', path: g('os_desc', link) });
  for (const c of observed.configs) {
    for (const link of descending(c.links)) ops.push({ verb: 'UNLINK', path: g('configs', c.name, link) });
  }
  for (const c of observed.configs) {
    for (const lang of c.strings) ops.push({ verb: 'RMDIR', path: g('configs', c.name, 'strings', lang) });
  }
  for (const c of observed.configs) ops.push({ verb: 'RMDIR', path: g('configs', c.name) });
  for (const f of observed.functions) {
    for (const child of descending(f.createdChildren)) ops.push({ verb: 'RMDIR', path: g('functions', f.name, child) });
  }
  for (const f of descending(observed.functions.map((x) => x.name))) ops.push({ verb: 'RMDIR', path: g('functions', f) });
  for (const lang of observed.strings) ops.push({ verb: 'RMDIR', path: g('strings', lang) });
  ops.push({ verb: 'RMDIR', path: g() });
  return ops;
}

/**
 * After an unbind, recreate every function link before rebinding: functions can stay dead
 * otherwise (pikvm/pikvm#1235). UNLINK is optional: a link may already be gone.
 */
export function planRelink(spec: GadgetSpec): Op[] {
  const links = planLinks(spec);
  const unlinks: Op[] = links.map((l) => ({ verb: 'UNLINK', path: l.path, optional: true }));
  return [...unlinks.reverse(), ...links];
}
