/** The EDID library: parse/validate, fix checksums, generate for W×H@Hz, read/write files. */
export { BLOCK_SIZE, checksumOk, expectedChecksum, fixChecksums, type ChecksumFix } from './checksum';
export { parseEdid, validateEdid, type ParsedEdid, type BaseBlock, type ExtensionBlock } from './parse';
export { type EdidProblem, formatProblem, hasErrors } from './problems';
export { makeEdid, chooseTiming, type EdidMakeOptions, type GeneratedEdid, type TimingSource } from './generate';
export { cvtTiming } from './cvt';
export { DMT_MODES, findDmt, type DmtMode } from './dmt';
export { readEdidFile, toHexText, encodeEdidFile, type EdidFileFormat, type ReadEdid } from './hexfile';
export { summarizeEdid } from './summary';
export { type VideoTiming, type ModeRequest, refreshHz, lineRateHz, describeTiming, modeName, matchesRequest } from './timing';
