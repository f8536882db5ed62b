/**
 * A minimal NUT muxer for one stream of rawvideo RGB24 frames with real timestamps.
 *
 * Why NUT: an ffmpeg reading an HTTP URL (`ffmpeg -i URL -vcodec ppm -f rawvideo -r 2 -`, what
 * Debian's os-autoinst runs) needs timestamps to resample to `-r`; concatenated PPM has none and
 * is read as 25 fps (see shared/reference/video-transport.md). NUT is ffmpeg's own container; the
 * layout below follows the NUT specification as ffmpeg reads it (libavformat/nutdec.c,
 * nut.h; ffmpeg doc/nut.texi lists the codec tags):
 *
 *   file id string "nut/multimedia container\0"
 *   packet  = startcode u64 · forward_ptr v · [header_checksum u32 if forward_ptr > 4096]
 *             · payload · checksum u32 (CRC of payload)
 *   main header:   version=3, stream_count=1, max_distance, time bases, frame-code table,
 *                  header_count_minus1=0 (nutdec needs header_count ≥ 1 or every frame fails)
 *   stream header: id 0, class 0 (video), fourcc "RGB\x18" (= rawvideo rgb24 in
 *                  ff_nut_video_tags), time base 0, msb_pts_shift, max_pts_distance,
 *                  decode_delay 0, flags 0, no extradata, width, height, SAR 0/0, colorspace 0
 *   per frame:     syncpoint (global_key_pts, back_ptr_div16) then the frame:
 *                  frame_code 0 · coded_pts v · data_size_msb v · header checksum u32 · data
 *
 * Frame code 0 carries FLAG_KEY | FLAG_CODED_PTS | FLAG_SIZE_MSB | FLAG_CHECKSUM, size_mul 1,
 * size_lsb 0, so a frame header is just the pts and the size; all other codes (and 'N', which is
 * reserved for startcodes) are FLAG_INVALID. The frame header checksum is required because frames
 * are far larger than 2·max_distance. A syncpoint precedes every frame: nutdec rejects a frame
 * header further than max_distance bytes after the last syncpoint, and with a syncpoint per
 * (key)frame a consumer can join or resync anywhere.
 *
 * Time base: 1/100 s. ffmpeg's avformat_find_stream_info treats time bases coarser than 1/5 s or
 * finer than 1/100 s as unreliable (`tb_unreliable`) and then reads ~20–40 frames to guess the
 * rate before producing anything; 1/100 s lets the first frame through at once.
 *
 * The muxer is pure: it returns the bytes to send and tracks the byte position for back pointers.
 * A NUT stream cannot change the picture size of a rawvideo stream; callers scale or end the
 * stream on a mode change.
 */
import { crc32Nut } from './crc32';
import { NutByteWriter } from './bytes';

const STARTCODE_BASE = (code: string, low: bigint): bigint =>
  low + ((BigInt(code.charCodeAt(0)) << 8n) + BigInt(code.charCodeAt(1)) << 48n);

export const MAIN_STARTCODE = STARTCODE_BASE('NM', 0x7a561f5f04adn);
const STREAM_STARTCODE = STARTCODE_BASE('NS', 0x11405bf2f9dbn);
export const SYNCPOINT_STARTCODE = STARTCODE_BASE('NK', 0xe4adeeca4569n);
export const FILE_ID_STRING = Buffer.from('nut/multimedia container\0', 'latin1');

const FLAG_KEY = 1;
const FLAG_CODED_PTS = 8;
const FLAG_SIZE_MSB = 32;
const FLAG_CHECKSUM = 64;
const FLAG_INVALID = 8192;

const NUT_VERSION = 3;
const MAX_DISTANCE = 32768;
const MSB_PTS_SHIFT = 7;
const RGB24_FOURCC = Buffer.from([0x52, 0x47, 0x42, 24]); // 'R' 'G' 'B' 24

export interface TimeBase {
  num: number;
  den: number;
}

const NUT_TIME_BASE: TimeBase = { num: 1, den: 100 };

export interface NutStreamOptions {
  width: number;
  height: number;
  timeBase?: TimeBase;
}

/** Wrap a payload as a NUT packet (startcode, forward_ptr, optional header CRC, payload, CRC). */
function nutPacket(startcode: bigint, payload: Buffer): Buffer {
  const forwardPtr = payload.length + 4;
  const head = new NutByteWriter().u64(startcode).v(forwardPtr);
  if (forwardPtr > 4096) head.u32(crc32Nut(head.toBuffer()));
  const tail = new NutByteWriter().u32(crc32Nut(payload)).toBuffer();
  return Buffer.concat([head.toBuffer(), payload, tail]);
}

function frameCodeTable(w: NutByteWriter): void {
  // Entry 1: frame code 0. fields=6: pts_delta, size_mul, stream, size_lsb, reserved, count.
  w.v(FLAG_KEY | FLAG_CODED_PTS | FLAG_SIZE_MSB | FLAG_CHECKSUM).v(6).s(0).v(1).v(0).v(0).v(0).v(1);
  // Entry 2: codes 1..255 (254 codes; the reader skips 'N' itself), all invalid.
  w.v(FLAG_INVALID).v(6).s(0).v(1).v(0).v(0).v(0).v(254);
}

export class NutMuxer {
  readonly width: number;
  readonly height: number;
  readonly timeBase: TimeBase;
  private position = 0;
  private lastSyncpoint = -1;
  private lastPts = -1;

  constructor(options: NutStreamOptions) {
    this.width = options.width;
    this.height = options.height;
    this.timeBase = options.timeBase ?? NUT_TIME_BASE;
  }

  /** File id string, main header and stream header: the first bytes of the stream. */
  header(): Buffer {
    const main = new NutByteWriter()
      .v(NUT_VERSION)
      .v(1) // stream_count
      .v(MAX_DISTANCE)
      .v(1) // time_base_count
      .v(this.timeBase.num)
      .v(this.timeBase.den);
    frameCodeTable(main);
    main.v(0); // header_count_minus1: only the empty elision header 0

    const stream = new NutByteWriter()
      .v(0) // stream_id
      .v(0) // stream_class: video
      .vb(RGB24_FOURCC)
      .v(0) // time_base_id
      .v(MSB_PTS_SHIFT)
      .v(this.timeBase.den) // max_pts_distance: about one second
      .v(0) // decode_delay
      .v(0) // stream_flags
      .vb(Buffer.alloc(0)) // codec_specific_data
      .v(this.width)
      .v(this.height)
      .v(0) // sample_width  (aspect unknown)
      .v(0) // sample_height
      .v(0); // colorspace_type: unknown

    const out = Buffer.concat([
      FILE_ID_STRING,
      nutPacket(MAIN_STARTCODE, main.toBuffer()),
      nutPacket(STREAM_STARTCODE, stream.toBuffer()),
    ]);
    this.position += out.length;
    return out;
  }

  /**
   * The bytes to send before the frame's pixels: a syncpoint and the frame header. `pts` is in
   * time-base units and must increase; the caller then writes `rgb` itself (no copy).
   */
  frameHeader(pts: number, byteLength: number): Buffer {
    if (!Number.isInteger(pts) || pts <= this.lastPts) {
      throw new RangeError(`NUT pts must be an increasing integer (last ${this.lastPts}, got ${pts})`);
    }
    if (byteLength !== this.width * this.height * 3) {
      throw new RangeError(`frame of ${byteLength} bytes in a ${this.width}x${this.height} rgb24 stream`);
    }
    this.lastPts = pts;
    const syncpointAt = this.position;
    const backPtrDiv16 = this.lastSyncpoint < 0 ? 0 : Math.floor((syncpointAt - this.lastSyncpoint) / 16);
    this.lastSyncpoint = syncpointAt;
    // global_key_pts = pts * time_base_count + time_base_id (one time base, id 0)
    const syncpoint = nutPacket(SYNCPOINT_STARTCODE, new NutByteWriter().v(pts).v(backPtrDiv16).toBuffer());

    const frame = new NutByteWriter()
      .raw(Uint8Array.of(0)) // frame_code 0
      .v(pts + (1 << MSB_PTS_SHIFT)) // coded_pts ≥ 2^msb_pts_shift: the full pts, no lsb guessing
      .v(byteLength); // data_size_msb (size_mul 1, size_lsb 0)
    frame.u32(crc32Nut(frame.toBuffer()));
    const out = Buffer.concat([syncpoint, frame.toBuffer()]);
    this.position += out.length + byteLength;
    return out;
  }

  /** Convert a duration in ms since the stream start to a pts in this stream's time base. */
  ptsFromMs(ms: number): number {
    return Math.round((ms * this.timeBase.den) / (1000 * this.timeBase.num));
  }
}
