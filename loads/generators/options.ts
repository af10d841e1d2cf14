// Each generator's own `options` in a scenario's load, validated here and handed to the
// generator process already parsed (sizes in bytes). Shared by the scenario schema and the
// generators, so the defaults live in one place.
import { z } from 'zod';
import { parseSize, SIZE_JSON_SCHEMA, UnitError } from '../../harness/scenario/units.ts';
import { isUserMessageType } from '../../harness/kernel/record-types.ts';
import { MAX_USER_MESSAGE_TEXT } from '../../harness/kernel/codec.ts';

export const GENERATOR_NAMES = ['open-close', 'stat', 'file-write', 'fork-exec', 'tcp', 'http', 'user-message'] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];

/** A strict mapping whose errors name the keys it allows. */
export function mapping<T extends z.ZodRawShape>(what: string, shape: T) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => iss.code === 'unrecognized_keys'
      ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')} in ${what}; allowed keys: ${keys}`
      : `expected ${what}: a mapping with keys ${keys}`,
  });
}

export const intIn = (min: number, max: number, allowed = `an integer from ${min} to ${max}`) =>
  z.int({ error: allowed }).min(min, { error: allowed }).max(max, { error: allowed });

export const numberIn = (min: number, max: number, allowed: string, exclusiveMin = false) =>
  (exclusiveMin ? z.number({ error: allowed }).gt(min, { error: allowed }) : z.number({ error: allowed }).min(min, { error: allowed }))
    .max(max, { error: allowed });

/** A size in human units (see units.ts), checked against [min, max] bytes. */
export const size = (min = 0, max = Number.MAX_SAFE_INTEGER, what = 'size') =>
  z.any().transform((v, ctx) => {
    try {
      const bytes = parseSize(v);
      if (bytes < min || bytes > max) {
        ctx.addIssue({ code: 'custom', message: `${what} must be from ${min} B to ${max} B; got ${bytes} B` });
        return z.NEVER;
      }
      return bytes;
    } catch (err) {
      if (!(err instanceof UnitError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
      return z.NEVER;
    }
  }).meta(SIZE_JSON_SCHEMA);

const scratchFiles = intIn(1, 10_000, 'a number of scratch files from 1 to 10000');

export const generatorOptions = {
  'open-close': mapping('open-close options', {
    /** distinct scratch files opened in turn (chosen with the seeded PRNG) */
    files: scratchFiles.default(1),
  }),
  stat: mapping('stat options', {
    files: scratchFiles.default(1),
  }),
  'file-write': mapping('file-write options', {
    /** bytes written to each new file before the rename */
    size: size(0, 64 * 1024 * 1024, 'write size').default(4096),
  }),
  'fork-exec': mapping('fork-exec options', {
    /** absolute path of a program that exits at once without exec'ing anything else */
    command: z.string({ error: 'an absolute path to a program, e.g. /bin/true' })
      .startsWith('/', { error: 'an absolute path to a program, e.g. /bin/true' }).default('/bin/true'),
  }),
  tcp: mapping('tcp options', {
    /** connections in flight at once */
    concurrency: intIn(1, 1024).default(16),
  }),
  http: mapping('http options', {
    /** autocannon connections (each a connect + accept4) */
    connections: intIn(1, 1024).default(10),
    pipelining: intIn(1, 64).default(1),
    /** response body size */
    body: size(0, 16 * 1024 * 1024, 'response body size').default(64),
  }),
  'user-message': mapping('user-message options', {
    /** record types to send, chosen uniformly (AUDIT_USER range: 1005, 1100-1199, 2100-2999) */
    types: z.array(z.int().refine(isUserMessageType, { error: 'a user message type: 1005, 1100-1199 or 2100-2999' }),
      { error: 'a list of user message types, e.g. [1005, 1123]' }).min(1, { error: 'at least one type' }).default([1005]),
    /** message text sizes and their relative weights */
    sizes: z.array(mapping('a size entry', {
      size: size(1, MAX_USER_MESSAGE_TEXT, `message size (the kernel's maximum is ${MAX_USER_MESSAGE_TEXT} B)`),
      weight: numberIn(0, 1e9, 'a weight > 0', true).default(1),
    }), { error: 'a list of {size, weight}, e.g. [{size: 200B, weight: 9}, {size: 8KiB, weight: 1}]' })
      .min(1, { error: 'at least one size' }).default([{ size: 200, weight: 1 }]),
  }),
} satisfies Record<GeneratorName, z.ZodType>;

export type GeneratorOptions = { [K in GeneratorName]: z.output<(typeof generatorOptions)[K]> };
