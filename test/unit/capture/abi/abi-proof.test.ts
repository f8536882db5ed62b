/**
 * PROOF that agent/capture/v4l2/abi.ts and ioctl-numbers.ts agree with the kernel headers on every ABI
 * the agent runs on: the tables become `_Static_assert`s compiled by the matching Debian (cross)
 * compiler. A missing compiler fails the test with the install command.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABIS, type Abi, type AbiName, type StructName, abiForArch, fieldLength } from '../../../../agent/capture/v4l2/abi';
import { type IoctlTable, ioctlNumbers } from '../../../../agent/capture/v4l2/ioctl-numbers';

// ---- the C proof: tables → _Static_asserts → a real (cross) compiler ----

interface Toolchain {
  compiler: string;
  /** What `<compiler> -dumpmachine` must start with (guards against a gcc for the wrong target). */
  machine: string;
  flags: string[];
  debianPackage: string;
}

/** C spelling of a struct name: everything is `struct <name>` (pollfd from <poll.h>). */
const cType = (name: StructName): string => `struct ${name}`;

function generateProof(abi: Abi, ioctls: IoctlTable): string {
  const lines = [
    '/* generated from agent/capture/v4l2/abi.ts and ioctl-numbers.ts by test/unit/capture/abi */',
    '#include <stddef.h>',
    '#include <poll.h>',
    '#include <linux/videodev2.h>',
    '#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)',
  ];
  for (const [name, layout] of Object.entries(abi.structs) as [StructName, Abi['structs'][StructName]][]) {
    const t = cType(name);
    lines.push(`_Static_assert(sizeof(${t}) == ${layout.size}, "sizeof(${t}) != ${layout.size}");`);
    for (const [field, fl] of Object.entries(layout.fields)) {
      lines.push(`_Static_assert(offsetof(${t}, ${field}) == ${fl.offset}, "offsetof(${t}, ${field}) != ${fl.offset}");`);
      const len = fieldLength(fl, abi);
      lines.push(`_Static_assert(MEMBER_SIZE(${t}, ${field}) == ${len}, "sizeof ${t}.${field} != ${len}");`);
    }
  }
  for (const [name, value] of Object.entries(ioctls)) {
    const hex = `0x${value.toString(16)}`;
    lines.push(`_Static_assert((unsigned long)(${name}) == ${hex}UL, "${name} != ${hex}");`);
  }
  return lines.join('\n') + '\n';
}

interface CompileResult {
  ok: boolean;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err && code === -1 ? String(err.message) : '') });
    });
  });
}

/** Throws with the apt-get command when the compiler is missing or targets another machine. */
async function checkToolchain(tc: Toolchain): Promise<void> {
  const r = await run(tc.compiler, ['-dumpmachine']);
  if (r.code !== 0) {
    throw new Error(`${tc.compiler} is not installed: run \`apt-get install -y ${tc.debianPackage}\` (${r.stderr.trim()})`);
  }
  if (!r.stdout.trim().startsWith(tc.machine)) {
    throw new Error(`${tc.compiler} targets ${r.stdout.trim()}, expected ${tc.machine}*: install ${tc.debianPackage}`);
  }
}

async function compileProof(tc: Toolchain, source: string, extraFlags: string[] = []): Promise<CompileResult> {
  const dir = await mkdtemp(join(tmpdir(), 'v4l2-abi-'));
  try {
    const src = join(dir, 'proof.c');
    await writeFile(src, source);
    const r = await run(tc.compiler, ['-Wall', '-Werror', ...tc.flags, ...extraFlags, '-c', src, '-o', join(dir, 'proof.o')]);
    return { ok: r.code === 0, stderr: r.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- the tests ----

const TARGETS: { abi: AbiName; tc: Toolchain }[] = [
  { abi: 'lp64', tc: { compiler: 'gcc', machine: 'x86_64', flags: [], debianPackage: 'gcc' } },
  {
    abi: 'lp64',
    tc: { compiler: 'aarch64-linux-gnu-gcc', machine: 'aarch64', flags: [], debianPackage: 'gcc-aarch64-linux-gnu' },
  },
  {
    abi: 'ilp32-time64',
    tc: {
      compiler: 'arm-linux-gnueabihf-gcc',
      machine: 'arm',
      // 64-bit time_t in userspace = the kernel's native 32-bit layout (see abi.ts).
      flags: ['-D_FILE_OFFSET_BITS=64', '-D_TIME_BITS=64'],
      debianPackage: 'gcc-arm-linux-gnueabihf',
    },
  },
];

for (const { abi: abiName, tc } of TARGETS) {
  t.test(`${abiName} layouts and ioctl numbers match ${tc.compiler}'s <linux/videodev2.h>`, async (t) => {
    await checkToolchain(tc);
    const abi = ABIS[abiName];
    const source = generateProof(abi, ioctlNumbers(abi));
    // The proof covers every struct, field and ioctl in the tables.
    const fieldCount = Object.values(abi.structs).reduce((n, s) => n + Object.keys(s.fields).length, 0);
    t.equal((source.match(/_Static_assert\(offsetof/g) ?? []).length, fieldCount);
    t.equal((source.match(/_Static_assert\(\(unsigned long\)\(VIDIOC_/g) ?? []).length, Object.keys(ioctlNumbers(abi)).length);
    const result = await compileProof(tc, source);
    t.equal(result.stderr, '', 'no diagnostics');
    t.ok(result.ok, `compiles with ${tc.compiler}`);
  });
}

/** A copy of an ABI with one field moved: the proof must reject it. */
function withShiftedField(abi: Abi, struct: keyof Abi['structs'], field: string, by: number): Abi {
  const layout = abi.structs[struct];
  const moved = { ...layout.fields[field]!, offset: layout.fields[field]!.offset + by };
  return { ...abi, structs: { ...abi.structs, [struct]: { ...layout, fields: { ...layout.fields, [field]: moved } } } };
}

t.test('the proof fails on a wrong offset, size or ioctl number', async (t) => {
  const tc = TARGETS[2]!.tc;
  await checkToolchain(tc);
  const abi = ABIS['ilp32-time64'];

  const wrongOffset = await compileProof(tc, generateProof(withShiftedField(abi, 'v4l2_buffer', 'sequence', 4), ioctlNumbers(abi)));
  t.notOk(wrongOffset.ok);
  t.match(wrongOffset.stderr, /offsetof\(struct v4l2_buffer, sequence\) != 60/);

  const wrongSize = { ...abi, structs: { ...abi.structs, v4l2_format: { ...abi.structs.v4l2_format, size: 208 } } };
  const sized = await compileProof(tc, generateProof(wrongSize, ioctlNumbers(wrongSize)));
  t.notOk(sized.ok);
  t.match(sized.stderr, /sizeof\(struct v4l2_format\) != 208/);
  t.match(sized.stderr, /VIDIOC_G_FMT != 0xc0d05604/, 'the size flows into the ioctl number');
});

t.test('armv7h without 64-bit time_t has the *_TIME32 layout, which our table is not', async (t) => {
  const tc = TARGETS[2]!.tc;
  await checkToolchain(tc);
  const abi = ABIS['ilp32-time64'];
  const r = await compileProof({ ...tc, flags: [] }, generateProof(abi, ioctlNumbers(abi)));
  t.notOk(r.ok);
  t.match(r.stderr, /sizeof\(struct v4l2_buffer\) != 80/);
  t.match(r.stderr, /VIDIOC_QBUF != 0xc050560f/);
});

t.test('process.arch selects the ABI; anything else is a clear error', async (t) => {
  t.equal(abiForArch('x64').name, 'lp64');
  t.equal(abiForArch('arm64').name, 'lp64');
  t.equal(abiForArch('arm').name, 'ilp32-time64');
  t.throws(() => abiForArch('riscv64'), { code: 'not-supported', message: /riscv64/ });
});
