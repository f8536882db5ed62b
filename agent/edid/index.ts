/**
 * The EDID library: parse/validate, fix checksums, generate for W×H@Hz, read/write files. This
 * index is what the rest of the agent uses; the library's own modules export more (tests and the
 * `edid` command import them directly).
 */
export { parseEdid, validateEdid } from './parse';
export { formatProblem } from './problems';
export { makeEdid } from './generate';
export { cvtTiming } from './cvt';
export { findDmt } from './dmt';
export { readEdidFile, toHexText } from './hexfile';
export type { VideoTiming } from './timing';
