/**
 * V4l2Device over a scripted libc: the bytes it hands to each ioctl (field offsets, request numbers
 * per ABI), how it reads the driver's answers, and how errno becomes states and AgentErrors.
 * The real kernel is exercised in test/kernel/guest/v4l2.test.ts.
 */
import t from 'tap';
import { ABIS, type Abi, type StructName } from '../../../agent/capture/v4l2/abi';
import { V4L2_EVENT_SOURCE_CHANGE } from '../../../agent/capture/v4l2/constants';
import { V4l2Device, type V4l2Libc } from '../../../agent/capture/v4l2/device';
import { ioctlNumbers } from '../../../agent/capture/v4l2/ioctl-numbers';
import { type CallResult, POLLIN } from '../../../agent/platform/libc';
import { StructBuffer } from '../../../agent/capture/v4l2/struct-buffer';
import { DMT_1024X768_60, refreshRate } from '../../../agent/capture/timings';
import { decodeDvTimings } from '../../../agent/capture/v4l2/dv-timings';
import { V4l2CaptureDevice } from '../../../agent/capture/v4l2/v4l2-capture';

type Handler = (arg: Buffer, memory: Map<bigint, Buffer>) => CallResult;

/** A libc whose ioctls are answered by handlers keyed by request name; it records every call. */
class ScriptedLibc implements V4l2Libc {
  readonly calls: { name: string; bytes: Buffer }[] = [];
  readonly memory = new Map<bigint, Buffer>(); // "addresses" handed out by addressOf
  readonly mappings = new Map<number, Uint8Array>();
  readonly unmapped: number[] = [];
  private readonly names: Map<number, string>;
  private nextAddress = 0x1000n;
  closed = false;

  constructor(
    abi: Abi,
    private readonly handlers: Record<string, Handler>,
  ) {
    this.names = new Map(Object.entries(ioctlNumbers(abi)).map(([n, v]) => [v, n]));
  }

  open(): CallResult {
    return { ok: true, value: 7 };
  }
  close(): CallResult {
    this.closed = true;
    return { ok: true, value: 0 };
  }
  ioctl(_fd: number, request: number, arg: Buffer): CallResult {
    const name = this.names.get(request) ?? `unknown 0x${request.toString(16)}`;
    this.calls.push({ name, bytes: Buffer.from(arg) });
    const handler = this.handlers[name];
    return handler ? handler(arg, this.memory) : { ok: false, errno: 'ENOTTY' };
  }
  mmap(length: number, _prot: number, _flags: number, _fd: number, offset: number) {
    const view = new Uint8Array(length);
    this.mappings.set(offset, view);
    return { ok: true as const, pointer: offset };
  }
  munmap(pointer: unknown): CallResult {
    this.unmapped.push(pointer as number);
    return { ok: true, value: 0 };
  }
  async pollAsync(pollfds: Buffer): Promise<CallResult> {
    pollfds.writeInt16LE(POLLIN, 6);
    return { ok: true, value: 1 };
  }
  view(pointer: unknown): Uint8Array {
    return this.mappings.get(pointer as number)!;
  }
  addressOf(buffer: Buffer): bigint {
    const address = this.nextAddress;
    this.nextAddress += 0x1000n;
    this.memory.set(address, buffer);
    return address;
  }
}

const struct = (abi: Abi, name: StructName, bytes: Buffer) => {
  const s = new StructBuffer(abi, name);
  bytes.copy(s.bytes);
  return s;
};

for (const abi of Object.values(ABIS)) {
  t.test(`${abi.name}: getEdid asks for the block count first, then reads through the pointer`, async (t) => {
    const edid = Buffer.alloc(256, 0x5a);
    const libc = new ScriptedLibc(abi, {
      VIDIOC_G_EDID: (arg, memory) => {
        const s = struct(abi, 'v4l2_edid', arg);
        if (s.get('blocks') === 0) {
          s.set('blocks', 2);
        } else {
          edid.copy(memory.get(BigInt(s.get('edid')))!);
        }
        s.bytes.copy(arg);
        return { ok: true, value: 0 };
      },
    });
    const device = new V4l2Device({ libc, abi });
    device.open('video0');
    const got = device.getEdid();
    t.ok(got.equals(edid));
    t.equal(libc.calls.length, 2);
    const first = struct(abi, 'v4l2_edid', libc.calls[0]!.bytes);
    t.equal(first.get('blocks'), 0, 'count query has blocks = 0');
    t.equal(first.get('edid'), 0, 'and no buffer');
    const second = struct(abi, 'v4l2_edid', libc.calls[1]!.bytes);
    t.equal(second.get('blocks'), 2);
    t.not(second.get('edid'), 0, 'then a buffer for 2 blocks');
  });

  t.test(`${abi.name}: DV timings are written at the table's offsets and read back`, async (t) => {
    let stored = Buffer.alloc(0);
    const libc = new ScriptedLibc(abi, {
      VIDIOC_S_DV_TIMINGS: (arg) => {
        stored = Buffer.from(arg);
        return { ok: true, value: 0 };
      },
      VIDIOC_G_DV_TIMINGS: (arg) => {
        stored.copy(arg);
        return { ok: true, value: 0 };
      },
    });
    const device = new V4l2Device({ libc, abi });
    device.open('video0');
    device.setDvTimings(DMT_1024X768_60);
    t.equal(stored.length, 132);
    t.equal(stored.readUInt32LE(4), 1024, 'bt.width right after the type');
    t.equal(stored.readBigUInt64LE(20), 65_000_000n, 'packed pixelclock at 20');
    t.same(device.getDvTimings(), DMT_1024X768_60);
    t.equal(Math.round(refreshRate(decodeDvTimings(struct(abi, 'v4l2_dv_timings', stored))) * 100) / 100, 60.0);
  });

  t.test(`${abi.name}: errno from QUERY_DV_TIMINGS becomes a signal state; others are AgentErrors`, async (t) => {
    let errno = 'ENOLINK';
    const libc = new ScriptedLibc(abi, {
      VIDIOC_QUERY_DV_TIMINGS: () => ({ ok: false, errno }),
      VIDIOC_G_DV_TIMINGS: () => ({ ok: false, errno }),
    });
    const device = new V4l2Device({ libc, abi });
    device.open('video0');
    const expected: Record<string, string> = {
      ENOLINK: 'no-signal',
      ENOLCK: 'no-sync',
      ERANGE: 'out-of-range',
      EBUSY: 'busy',
      ENODEV: 'no-device',
      ENXIO: 'no-device',
      ENOENT: 'no-device',
    };
    for (const [e, state] of Object.entries(expected)) {
      errno = e;
      t.same(device.queryDvTimings(), { state }, `${e} → ${state}`);
    }
    errno = 'EINVAL';
    t.throws(() => device.queryDvTimings(), { name: 'V4l2Error', code: 'bad-argument', errno: 'EINVAL' });
    errno = 'EIO';
    t.throws(() => device.queryDvTimings(), { code: 'io' });
    // The agent-wide errno table, except where a device node means something else.
    const codes: Record<string, string> = {
      ENOENT: 'no-device',
      EAGAIN: 'io',
      ESHUTDOWN: 'io',
      EACCES: 'forbidden',
      E2BIG: 'bad-argument',
      ENOTTY: 'not-supported',
      ENODATA: 'not-found',
      ETIMEDOUT: 'timeout',
    };
    for (const [e, code] of Object.entries(codes)) {
      errno = e;
      t.throws(() => device.getDvTimings(), { name: 'V4l2Error', code, errno: e }, `${e} → ${code}`);
    }
  });

  t.test(`${abi.name}: events and buffers: ENOENT/EAGAIN mean "nothing yet"`, async (t) => {
    let pending = false;
    let ready = false;
    const libc = new ScriptedLibc(abi, {
      VIDIOC_DQEVENT: (arg) => {
        if (!pending) return { ok: false, errno: 'ENOENT' };
        const s = new StructBuffer(abi, 'v4l2_event').set('type', V4L2_EVENT_SOURCE_CHANGE).set('u.src_change.changes', 1).set('sequence', 9);
        s.bytes.copy(arg);
        return { ok: true, value: 0 };
      },
      VIDIOC_DQBUF: (arg) => {
        if (!ready) return { ok: false, errno: 'EAGAIN' };
        const s = new StructBuffer(abi, 'v4l2_buffer')
          .set('index', 2)
          .set('bytesused', 1234)
          .set('sequence', 77)
          .set('timestamp.tv_sec', 5)
          .set('timestamp.tv_usec', 250);
        s.bytes.copy(arg);
        return { ok: true, value: 0 };
      },
    });
    const device = new V4l2Device({ libc, abi });
    device.open('video0');
    t.equal(device.dequeueEvent(), null);
    t.equal(device.dequeueBuffer(), null);
    pending = true;
    ready = true;
    t.match(device.dequeueEvent(), { type: V4L2_EVENT_SOURCE_CHANGE, changes: 1, sequence: 9 });
    t.same(device.dequeueBuffer(), { index: 2, bytesused: 1234, flags: 0, sequence: 77, timestamp: 5_000_250 });
    t.equal(libc.calls.at(-1)!.bytes.length, abi.structs.v4l2_buffer.size, 'DQBUF carries this ABI struct');
  });
}

t.test('the ABI decides the request numbers that carry time_t or pointers', async (t) => {
  const lp64 = ioctlNumbers(ABIS.lp64);
  const arm = ioctlNumbers(ABIS['ilp32-time64']);
  t.equal(lp64.VIDIOC_QBUF, 0xc058560f);
  t.equal(arm.VIDIOC_QBUF, 0xc050560f);
  t.equal(lp64.VIDIOC_G_FMT, 0xc0d05604);
  t.equal(arm.VIDIOC_G_FMT, 0xc0cc5604);
  t.equal(lp64.VIDIOC_DQEVENT, arm.VIDIOC_DQEVENT, 'v4l2_event is 136 bytes on both with 64-bit time');
  t.equal(lp64.VIDIOC_S_DV_TIMINGS, arm.VIDIOC_S_DV_TIMINGS, 'packed v4l2_dv_timings is the same everywhere');
});

t.test('capture: buffers are mapped, queued, copied out per frame and unmapped on close', async (t) => {
  const abi = ABIS.lp64;
  const queued: number[] = [];
  const format = new StructBuffer(abi, 'v4l2_format')
    .set('fmt.pix.width', 4)
    .set('fmt.pix.height', 2)
    .set('fmt.pix.pixelformat', Buffer.from('UYVY').readUInt32LE(0))
    .set('fmt.pix.bytesperline', 8)
    .set('fmt.pix.sizeimage', 16);
  let dqIndex = -1;
  const ok = { ok: true as const, value: 0 };
  const libc = new ScriptedLibc(abi, {
    VIDIOC_SUBSCRIBE_EVENT: () => ok,
    VIDIOC_G_FMT: (arg) => (format.bytes.copy(arg), ok),
    VIDIOC_REQBUFS: (arg) => {
      const s = struct(abi, 'v4l2_requestbuffers', arg);
      s.set('count', Math.min(s.get('count'), 2)).bytes.copy(arg);
      return ok;
    },
    VIDIOC_QUERYBUF: (arg) => {
      const s = struct(abi, 'v4l2_buffer', arg);
      s.set('m.offset', 0x10000 * (s.get('index') + 1)).set('length', 16).bytes.copy(arg);
      return ok;
    },
    VIDIOC_QBUF: (arg) => (queued.push(struct(abi, 'v4l2_buffer', arg).get('index')), ok),
    VIDIOC_STREAMON: () => ok,
    VIDIOC_STREAMOFF: () => ok,
    VIDIOC_DQBUF: (arg) => {
      if (dqIndex < 0) return { ok: false, errno: 'EAGAIN' };
      new StructBuffer(abi, 'v4l2_buffer').set('index', dqIndex).set('bytesused', 16).set('sequence', 3).bytes.copy(arg);
      dqIndex = -1;
      return ok;
    },
  });
  const capture = new V4l2CaptureDevice('video0', new V4l2Device({ libc, abi }));
  await capture.open();
  await capture.startStreaming(4);
  t.same(queued, [0, 1], 'the 2 granted buffers are queued');
  t.same([...libc.mappings.keys()], [0x10000, 0x20000], 'each mapped at its QUERYBUF offset');
  libc.mappings.get(0x20000)!.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  dqIndex = 1;
  const frame = await capture.nextFrame(100);
  t.match(frame, { width: 4, height: 2, pixelformat: 'UYVY', bytesperline: 8, sequence: 3 });
  t.same([...frame!.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  libc.mappings.get(0x20000)!.fill(0);
  t.equal(frame!.data[0], 1, 'the frame is a copy, not a view of driver memory');
  t.same(queued, [0, 1, 1], 'the buffer went back to the driver');
  await capture.close();
  t.same(libc.unmapped.sort((a, b) => a - b), [0x10000, 0x20000]);
  t.ok(libc.closed);
});

t.test('capture: no source events (USB grabber) is not an error; new timings renegotiate the format', async (t) => {
  const abi = ABIS.lp64;
  const ok = { ok: true as const, value: 0 };
  let format = new StructBuffer(abi, 'v4l2_format')
    .set('fmt.pix.width', 640)
    .set('fmt.pix.height', 480)
    .set('fmt.pix.pixelformat', Buffer.from('UYVY').readUInt32LE(0));
  const libc = new ScriptedLibc(abi, {
    VIDIOC_SUBSCRIBE_EVENT: () => ({ ok: false, errno: 'EINVAL' }),
    VIDIOC_S_DV_TIMINGS: () => ok,
    VIDIOC_G_FMT: (arg) => (format.bytes.copy(arg), ok),
    VIDIOC_S_FMT: (arg) => ((format = struct(abi, 'v4l2_format', arg)), ok),
  });
  const capture = new V4l2CaptureDevice('video0', new V4l2Device({ libc, abi }));
  await capture.open();
  t.equal(await capture.nextSourceChange(5), null);
  await capture.setDvTimings(DMT_1024X768_60);
  t.same(
    libc.calls.map((c) => c.name),
    ['VIDIOC_SUBSCRIBE_EVENT', 'VIDIOC_S_DV_TIMINGS', 'VIDIOC_G_FMT', 'VIDIOC_S_FMT'],
  );
  t.match(await capture.getFormat(), { width: 1024, height: 768, pixelformat: 'UYVY' });
  await capture.close();
});
