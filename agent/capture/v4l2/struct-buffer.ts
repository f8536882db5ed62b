/**
 * A zero-filled Buffer holding one C struct of a given ABI, read and written by field name. The
 * layout tables in abi.ts are the only description of where fields are; this module just moves
 * numbers in and out (little-endian: x86_64, aarch64 and armv7h are all little-endian).
 */
import { AgentError } from '../../errors';
import { type Abi, type FieldLayout, type StructName, fieldLength } from './abi';

export class StructBuffer {
  readonly bytes: Buffer;

  constructor(
    readonly abi: Abi,
    readonly struct: StructName,
  ) {
    this.bytes = Buffer.alloc(abi.structs[struct].size);
  }

  private field(name: string): FieldLayout {
    const field = this.abi.structs[this.struct].fields[name];
    if (field === undefined) throw new AgentError('internal', `struct ${this.struct} has no field ${name} in our layout`);
    return field;
  }

  /** Integer fields as numbers (64-bit ones are exact up to 2^53, far beyond clocks and times). */
  get(name: string): number {
    const { offset, type } = this.field(name);
    const b = this.bytes;
    switch (type) {
      case 'u8':
        return b.readUInt8(offset);
      case 's16':
        return b.readInt16LE(offset);
      case 'u16':
        return b.readUInt16LE(offset);
      case 'u32':
        return b.readUInt32LE(offset);
      case 's32':
        return b.readInt32LE(offset);
      case 'u64':
        return Number(b.readBigUInt64LE(offset));
      case 's64':
        return Number(b.readBigInt64LE(offset));
      case 'ptr':
        return this.abi.pointerSize === 8 ? Number(b.readBigUInt64LE(offset)) : b.readUInt32LE(offset);
      case 'bytes':
        throw new AgentError('internal', `${this.struct}.${name} is a byte array; use getBytes`);
    }
  }

  set(name: string, value: number | bigint): this {
    const field = this.field(name);
    const { offset, type } = field;
    const b = this.bytes;
    const n = Number(value);
    switch (type) {
      case 'u8':
        b.writeUInt8(n, offset);
        break;
      case 's16':
        b.writeInt16LE(n, offset);
        break;
      case 'u16':
        b.writeUInt16LE(n, offset);
        break;
      case 'u32':
        b.writeUInt32LE(n, offset);
        break;
      case 's32':
        b.writeInt32LE(n, offset);
        break;
      case 'u64':
        b.writeBigUInt64LE(BigInt(value), offset);
        break;
      case 's64':
        b.writeBigInt64LE(BigInt(value), offset);
        break;
      case 'ptr':
        if (this.abi.pointerSize === 8) b.writeBigUInt64LE(BigInt(value), offset);
        else b.writeUInt32LE(n, offset);
        break;
      case 'bytes':
        throw new AgentError('internal', `${this.struct}.${name} is a byte array; use getBytes`);
    }
    return this;
  }

  /** A copy of a byte-array field. */
  getBytes(name: string): Buffer {
    const field = this.field(name);
    return Buffer.from(this.bytes.subarray(field.offset, field.offset + fieldLength(field, this.abi)));
  }

  /** A NUL-terminated char array field as a string (V4L2 names are ASCII/UTF-8). */
  getString(name: string): string {
    const raw = this.getBytes(name);
    const end = raw.indexOf(0);
    return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
  }
}
