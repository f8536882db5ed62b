/**
 * The ordinary C layout rules, applied to a struct written down as data: members in declaration
 * order, each at the next offset that is a multiple of its alignment, a union's members all at 0,
 * the whole rounded up to its strictest member's alignment, and `__attribute__((packed))` meaning
 * alignment 1. That is the System V AMD64, AAPCS64 and ARM EABI (AAPCS) rule for the types used here.
 *
 * Every scalar here is aligned to its own size. That holds on x86_64, aarch64 and ARM EABI, where
 * 64-bit integers are 8-aligned (AAPCS §5.1 "Fundamental Data Types"); it would not hold on i386,
 * where `__u64` is 4-aligned inside structs, and the agent does not run there.
 */

/** How a field is read from / written to the struct's Buffer (little-endian on all our ABIs). */
type FieldType = 'u8' | 's16' | 'u16' | 'u32' | 's32' | 'u64' | 's64' | 'ptr' | 'bytes';

export interface FieldLayout {
  offset: number;
  type: FieldType;
  /** Byte length; required for `bytes` (char arrays), implied for the others. */
  length?: number;
}

export interface StructLayout {
  size: number;
  fields: Readonly<Record<string, FieldLayout>>;
}

/** The C scalar types the V4L2 structs use (`pointer` is any `T *`). */
export type CScalar =
  | '__u8'
  | '__u16'
  | '__s16'
  | 'short'
  | '__u32'
  | '__s32'
  | 'int'
  | '__u64'
  | '__s64'
  | 'long'
  | 'unsigned long'
  | 'pointer'
  | 'time_t'
  | 'suseconds_t';

export interface CArray {
  kind: 'array';
  of: CScalar;
  count: number;
}

export interface CAggregate {
  kind: 'struct' | 'union';
  members: readonly CMember[];
  packed: boolean;
}

export type CType = CScalar | CArray | CAggregate;

export interface CMember {
  /** null for an anonymous struct/union, whose members are named as if they were the parent's. */
  name: string | null;
  type: CType;
  /** Listed in the layout table (the agent reads or writes it); otherwise it only takes space. */
  used: boolean;
}

/** What differs between the C data models we run on. */
export interface DataModel {
  /** `sizeof(void *)` and `sizeof(long)`: 8 on LP64, 4 on ILP32. */
  pointerSize: 4 | 8;
  /** `sizeof(time_t)` and `sizeof(suseconds_t)`: 8 on LP64 and on ILP32 with 64-bit time. */
  timeSize: 8;
}

// ---- building descriptions ----

/** A member the agent reads or writes: it gets an entry in the layout table. */
export const field = (name: string, type: CType): CMember => ({ name, type, used: true });
/** A member that only takes space (reserved words, union alternatives we never touch). */
export const member = (name: string | null, type: CType): CMember => ({ name, type, used: false });
export const array = (of: CScalar, count: number): CArray => ({ kind: 'array', of, count });
export const struct = (...members: CMember[]): CAggregate => ({ kind: 'struct', members, packed: false });
export const packedStruct = (...members: CMember[]): CAggregate => ({ kind: 'struct', members, packed: true });
export const union = (...members: CMember[]): CAggregate => ({ kind: 'union', members, packed: false });

// ---- the rules ----

/** The scalars whose size is the same in every data model (the kernel's fixed-width `__uN`/`__sN`, `short`, `int`). */
const FIXED_SCALARS = {
  __u8: { size: 1, access: 'u8' },
  __u16: { size: 2, access: 'u16' },
  __s16: { size: 2, access: 's16' },
  short: { size: 2, access: 's16' },
  __u32: { size: 4, access: 'u32' },
  __s32: { size: 4, access: 's32' },
  int: { size: 4, access: 's32' },
  __u64: { size: 8, access: 'u64' },
  __s64: { size: 8, access: 's64' },
} as const satisfies Record<string, { size: number; access: FieldType }>;

function scalar(type: CScalar, model: DataModel): { size: number; access: FieldType } {
  switch (type) {
    case 'long':
      return { size: model.pointerSize, access: model.pointerSize === 8 ? 's64' : 's32' };
    case 'unsigned long':
    case 'pointer':
      return { size: model.pointerSize, access: 'ptr' };
    case 'time_t':
    case 'suseconds_t':
      return { size: model.timeSize, access: 's64' };
    default:
      return FIXED_SCALARS[type];
  }
}

interface Placed {
  size: number;
  align: number;
  /** Used fields, named and placed relative to the start of this type. */
  fields: [string, FieldLayout][];
}

const roundUp = (n: number, align: number): number => Math.ceil(n / align) * align;

function place(type: CType, model: DataModel): Placed {
  if (typeof type === 'string') {
    const { size } = scalar(type, model);
    return { size, align: size, fields: [] };
  }
  if (type.kind === 'array') {
    const { size } = scalar(type.of, model);
    return { size: size * type.count, align: size, fields: [] };
  }
  let end = 0;
  let align = 1;
  const fields: [string, FieldLayout][] = [];
  for (const m of type.members) {
    const inner = place(m.type, model);
    const memberAlign = type.packed ? 1 : inner.align;
    const offset = type.kind === 'union' ? 0 : roundUp(end, memberAlign);
    if (m.used && m.name !== null) fields.push([m.name, fieldAt(offset, m.type, inner.size, model)]);
    const prefix = m.name === null ? '' : `${m.name}.`;
    for (const [name, f] of inner.fields) fields.push([prefix + name, { ...f, offset: offset + f.offset }]);
    end = Math.max(end, offset + inner.size);
    align = Math.max(align, memberAlign);
  }
  return { size: roundUp(end, align), align, fields };
}

function fieldAt(offset: number, type: CType, size: number, model: DataModel): FieldLayout {
  return typeof type === 'string' ? { offset, type: scalar(type, model).access } : { offset, type: 'bytes', length: size };
}

/** The size of a struct and the place of every used member (nested ones as `a.b`), under one data model. */
export function layOut(type: CAggregate, model: DataModel): StructLayout {
  const { size, fields } = place(type, model);
  return { size, fields: Object.fromEntries(fields) };
}
