/**
 * The memory layout of every V4L2 structure the agent passes to the kernel, one table per ABI,
 * computed once at load from the C declarations in c-structs.ts by the C layout rules in
 * c-layout.ts under each ABI's data model. The tables are checked against the real
 * `<linux/videodev2.h>` by test/unit/capture/abi (it generates `_Static_assert(offsetof/sizeof …)`
 * and compiles them with gcc, aarch64-linux-gnu-gcc and arm-linux-gnueabihf-gcc).
 *
 * Field names are C member designators (`timestamp.tv_sec`, `bt.width`, `fmt.pix.width`), so the
 * proof can use them verbatim in `offsetof`.
 *
 * Two layouts exist:
 * - `lp64` (x86_64, aarch64): `long` and pointers are 8 bytes, `__u64` is 8-aligned.
 * - `ilp32-time64` (armv7h): pointers 4 bytes, `__u64` 8-aligned (ARM EABI), and **64-bit
 *   time_t** in `struct timeval`/`struct timespec`. This is the kernel's own layout on a 32-bit
 *   kernel (`struct __kernel_v4l2_timeval` / `__kernel_timespec` in include/uapi/linux/videodev2.h,
 *   used when `__KERNEL__`), i.e. the plain VIDIOC_QBUF/DQBUF/QUERYBUF/DQEVENT, so no compat
 *   translation is involved. It equals what glibc gives with `-D_TIME_BITS=64`. Arch Linux ARM's
 *   own userspace still builds with 32-bit time_t, so its v4l2-ctl/ustreamer call the `*_TIME32`
 *   variants (68-byte `v4l2_buffer`, 128-byte `v4l2_event`; drivers/media/v4l2-core/v4l2-ioctl.c
 *   `video_translate_cmd`, only with CONFIG_COMPAT_32BIT_TIME; and on a 64-bit kernel
 *   v4l2-compat-ioctl32.c `VIDIOC_QBUF32_TIME32`). We do not share structs with C code, so we pick
 *   the layout the kernel accepts natively on 32-bit kernels and through `VIDIOC_QBUF32` on 64-bit
 *   kernels running 32-bit userspace (kernel ≥ 5.6, the y2038 work).
 */
import { AgentError } from '../../errors';
import { type DataModel, type FieldLayout, type StructLayout, layOut } from './c-layout';
import { type StructName, V4L2_STRUCTS } from './c-structs';

export type { FieldLayout } from './c-layout';
export type { StructName } from './c-structs';

export type AbiName = 'lp64' | 'ilp32-time64';

export interface Abi {
  name: AbiName;
  /** Size of a pointer / `unsigned long`. */
  pointerSize: 4 | 8;
  structs: Readonly<Record<StructName, StructLayout>>;
}

/** Lays out every struct of c-structs.ts under one C data model. */
function abi(name: AbiName, model: DataModel): Abi {
  const structs = Object.fromEntries(
    Object.entries(V4L2_STRUCTS).map(([struct, declaration]) => [struct, layOut(declaration, model)]),
  ) as Record<StructName, StructLayout>;
  return { name, pointerSize: model.pointerSize, structs };
}

const LP64 = abi('lp64', { pointerSize: 8, timeSize: 8 });
const ILP32_TIME64 = abi('ilp32-time64', { pointerSize: 4, timeSize: 8 });

export const ABIS: Readonly<Record<AbiName, Abi>> = Object.freeze({ lp64: LP64, 'ilp32-time64': ILP32_TIME64 });

/** Node's `process.arch` → our ABI. PiKVM OS is armv7h (`arm`) or aarch64 (`arm64`). */
const ARCH_ABI: Readonly<Record<string, AbiName>> = { x64: 'lp64', arm64: 'lp64', arm: 'ilp32-time64' };

export function abiForArch(arch: string = process.arch): Abi {
  const name = ARCH_ABI[arch];
  if (name === undefined) {
    throw new AgentError(
      'not-supported',
      `V4L2 struct layouts are known for x64, arm64 and arm only, not for process.arch=${arch}`,
    );
  }
  return ABIS[name];
}

/** The byte length a field occupies. */
export function fieldLength(field: FieldLayout, abi: Abi): number {
  switch (field.type) {
    case 'u8':
      return 1;
    case 's16':
    case 'u16':
      return 2;
    case 'u32':
    case 's32':
      return 4;
    case 'u64':
    case 's64':
      return 8;
    case 'ptr':
      return abi.pointerSize;
    case 'bytes':
      return field.length ?? 0;
  }
}
