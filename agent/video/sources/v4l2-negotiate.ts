/**
 * Setting the receiver to what the source sends (QUERY_DV_TIMINGS → S_DV_TIMINGS) and choosing a
 * capture format we can convert. Used by the V4L2 frame source on every re-negotiation.
 */
import { AgentError, isAgentError } from '../../errors';
import type { BtTimings, CaptureDevice, CaptureFormat, TimingsQuery } from '../../capture/capture-device';
import type { CapturePixelFormat } from '../convert';
import { ZERO_TIMINGS } from '../../capture/timings';

/** V4L2 fourcc → the converter's name (kernel Documentation/userspace-api/media/v4l/pixfmt-*.rst). */
export const FOURCC_FORMATS: Readonly<Record<string, CapturePixelFormat>> = {
  UYVY: 'UYVY',
  YUYV: 'YUYV',
  RGB3: 'RGB24',
  BGR3: 'BGR24',
  MJPG: 'MJPEG',
  JPEG: 'MJPEG',
};

/** Formats asked for when the receiver offers one we cannot convert (TC358743 supports both). */
const FALLBACK_FOURCCS = ['UYVY', 'RGB3'];

/** Query what the source sends and set the receiver to it. */
export type Negotiate = (device: CaptureDevice) => Promise<TimingsQuery>;

/** Work done on the device while capture is stopped (e.g. S_EDID, which vivid refuses while streaming). */
export type BeforeNegotiate = (device: CaptureDevice) => Promise<void>;

/**
 * USB grabbers (uvcvideo) have no DV timings (ENOTTY → `not-supported`): they scale to the format
 * they were given, so the current format is the mode and there is nothing to apply.
 */
export const queryAndApply: Negotiate = async (device) => {
  let q: TimingsQuery;
  try {
    q = await device.queryDvTimings();
  } catch (e) {
    if (!isAgentError(e, 'not-supported')) throw e;
    const format = await device.getFormat();
    return { state: 'online', timings: timingsOfFormat(format) };
  }
  if (q.state === 'online') await device.setDvTimings(q.timings);
  return q;
};

/** Timings that only carry a size (no blanking, no clock: the device has no DV timings). */
function timingsOfFormat(format: CaptureFormat): BtTimings {
  return { ...ZERO_TIMINGS, width: format.width, height: format.height };
}

/** Keep the receiver's pixel format if we can convert it, else ask for one we can. */
export async function chooseFormat(device: CaptureDevice, width: number, height: number): Promise<CaptureFormat> {
  let format = await device.setFormat({ width, height });
  for (const fourcc of FALLBACK_FOURCCS) {
    if (FOURCC_FORMATS[format.pixelformat] !== undefined) break;
    format = await device.setFormat({ pixelformat: fourcc, width, height });
  }
  if (FOURCC_FORMATS[format.pixelformat] === undefined) {
    throw new AgentError('not-supported', `the capture device offers ${format.pixelformat}, which cannot be converted`);
  }
  return format;
}
