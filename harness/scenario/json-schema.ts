// The scenario file's JSON Schema, generated from the zod schema (one source of truth), for
// editors: `auditstorm schema > scenario.schema.json`, and the library's files point at the
// checked-in copy (loads/scenario.schema.json) with a yaml-language-server comment. It describes
// the file as written (input side): units are strings with a pattern; cross-field rules (command
// needs log, windows must not overlap) are only checked by `auditstorm validate`.
import { z } from 'zod';
import { scenarioFileSchema } from './schema.ts';

export const SCHEMA_FILE = 'loads/scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioFileSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://github.com/auditstorm/auditstorm/loads/scenario.schema.json',
    title: 'auditstorm scenario',
    description: 'A scenario file: loads, faults and expectations for one run (see docs/scenarios.md; `auditstorm validate FILE` checks the rest).',
  };
}

export const scenarioJsonSchemaText = (): string => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
