// struct audit_rule_data (<linux/audit.h>) <-> a plain object. Layout, all u32 native-endian:
// flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64], buflen, buf[buflen].
// String fields store their byte length in values[i]; their bytes follow each other in buf.
import { RuleDataError } from './errors.ts';
import { isStringField, MAX_FIELDS, OPERATOR_BITS } from './fields.ts';

export const BITMASK_WORDS = 64;
const OFF_FLAGS = 0;
const OFF_ACTION = 4;
const OFF_FIELD_COUNT = 8;
const OFF_MASK = 12;
const OFF_FIELDS = OFF_MASK + BITMASK_WORDS * 4;
const OFF_VALUES = OFF_FIELDS + MAX_FIELDS * 4;
const OFF_FIELDFLAGS = OFF_VALUES + MAX_FIELDS * 4;
const OFF_BUFLEN = OFF_FIELDFLAGS + MAX_FIELDS * 4;
/** sizeof(struct audit_rule_data) without buf: 1040 */
export const RULE_DATA_HEADER = OFF_BUFLEN + 4;

export interface RuleField {
  /** field number (fields[i] without operator bits) */
  field: number;
  /** operator bits (fieldflags[i] & AUDIT_OPERATORS) */
  op: number;
  /** values[i]: the number, or the byte length for string fields */
  value: number;
  /** string fields: the bytes from buf, as UTF-8 */
  str?: string;
}

export interface RuleData {
  flags: number;
  action: number;
  /** 64 words: bit n set = syscall n */
  mask: Uint32Array;
  fields: RuleField[];
}

const le = (buf: Buffer) => ({
  u32: (off: number) => buf.readUInt32LE(off),
});

export function encodeRuleData(rd: RuleData): Buffer {
  if (rd.fields.length > MAX_FIELDS) throw new RangeError(`${rd.fields.length} fields; the kernel takes ${MAX_FIELDS}`);
  const strings = rd.fields.filter((f) => f.str !== undefined).map((f) => Buffer.from(f.str as string, 'utf8'));
  const buflen = strings.reduce((n, b) => n + b.length, 0);
  const out = Buffer.alloc(RULE_DATA_HEADER + buflen);
  out.writeUInt32LE(rd.flags >>> 0, OFF_FLAGS);
  out.writeUInt32LE(rd.action >>> 0, OFF_ACTION);
  out.writeUInt32LE(rd.fields.length, OFF_FIELD_COUNT);
  for (let i = 0; i < BITMASK_WORDS; i++) out.writeUInt32LE(rd.mask[i] >>> 0, OFF_MASK + i * 4);
  let s = 0;
  rd.fields.forEach((f, i) => {
    out.writeUInt32LE(f.field >>> 0, OFF_FIELDS + i * 4);
    const value = f.str !== undefined ? strings[s++].length : f.value;
    out.writeUInt32LE(value >>> 0, OFF_VALUES + i * 4);
    out.writeUInt32LE(f.op >>> 0, OFF_FIELDFLAGS + i * 4);
  });
  out.writeUInt32LE(buflen, OFF_BUFLEN);
  Buffer.concat(strings).copy(out, RULE_DATA_HEADER);
  return out;
}

/** Decode a payload as the kernel lists it. Throws RuleDataError on truncated or inconsistent data. */
export function decodeRuleData(buf: Uint8Array): RuleData {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < RULE_DATA_HEADER) {
    throw new RuleDataError(`${b.length} bytes, shorter than the ${RULE_DATA_HEADER}-byte header`, b.length);
  }
  const r = le(b);
  const fieldCount = r.u32(OFF_FIELD_COUNT);
  if (fieldCount > MAX_FIELDS) throw new RuleDataError(`field_count ${fieldCount} > ${MAX_FIELDS}`, OFF_FIELD_COUNT);
  const buflen = r.u32(OFF_BUFLEN);
  if (RULE_DATA_HEADER + buflen > b.length) {
    throw new RuleDataError(`buflen ${buflen} runs past the ${b.length}-byte payload`, OFF_BUFLEN);
  }
  const mask = new Uint32Array(BITMASK_WORDS);
  for (let i = 0; i < BITMASK_WORDS; i++) mask[i] = r.u32(OFF_MASK + i * 4);
  const fields: RuleField[] = [];
  let boff = 0;
  for (let i = 0; i < fieldCount; i++) {
    const field = r.u32(OFF_FIELDS + i * 4) & ~OPERATOR_BITS & 0xffffffff;
    const op = r.u32(OFF_FIELDFLAGS + i * 4) & OPERATOR_BITS;
    const value = r.u32(OFF_VALUES + i * 4);
    const f: RuleField = { field: field >>> 0, op, value };
    if (isStringField(f.field)) {
      if (boff + value > buflen) {
        throw new RuleDataError(`field ${i} (type ${f.field}) needs ${value} string bytes, buf has ${buflen - boff} left`,
          OFF_VALUES + i * 4);
      }
      f.str = b.subarray(RULE_DATA_HEADER + boff, RULE_DATA_HEADER + boff + value).toString('utf8');
      boff += value;
    }
    fields.push(f);
  }
  return { flags: r.u32(OFF_FLAGS), action: r.u32(OFF_ACTION), mask, fields };
}
