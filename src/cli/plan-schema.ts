import {
  type FieldRule,
  INTEGRATION_FIELDS,
  JOB_FIELDS,
  PLAN_FIELDS,
  RETRY_FIELDS,
} from '../plan/fields.js';
import { ID_PATTERN, ID_RULE } from '../plan/validate.js';
import { RUN_FIELDS } from './run-fields.js';
import { VARIABLE_NAME } from './secret-env.js';

type Schema = Record<string, unknown>;

/** Where the schema's definitions are, for `$ref`s. */
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

/** Field tables whose fields a plan file can hold; a table with a required function has none. */
const usableInFile = (fields: Record<string, FieldRule>): boolean =>
  !Object.values(fields).some((rule) => rule.type === 'function' && rule.required);

/**
 * The JSON Schema of one field as a plan file writes it, or nothing for a field a file cannot
 * hold (a function other than a job's `run` and `verify`, which a file gives as commands).
 */
function fieldSchema(name: string, rule: FieldRule): Schema | undefined {
  // A default left undefined is left out of the JSON.
  const described = (schema: Schema): Schema => ({ description: rule.doc, ...schema });
  switch (rule.type) {
    case 'integer':
    case 'number': {
      const { min: minimum, max: maximum } = rule;
      return described({ type: rule.type, minimum, maximum, default: rule.default });
    }
    case 'finite':
      return described({ type: 'number', default: rule.default });
    case 'choice':
      return described({ enum: rule.values, default: rule.default });
    case 'string':
      return described({ type: 'string' });
    case 'id':
      return described(ref('id'));
    case 'ids':
      return described({ type: 'array', items: { type: 'string' }, uniqueItems: true });
    case 'json':
      return described({});
    case 'object': {
      const fields = { retry: RETRY_FIELDS, integration: INTEGRATION_FIELDS }[rule.fields];
      return usableInFile(fields) ? described(ref(rule.fields)) : undefined;
    }
    case 'jobs':
      return described({ type: 'array', items: ref('job') });
    case 'function':
      return name === 'run' || name === 'verify' ? described(ref('command')) : undefined;
  }
}

/** An object whose fields are those of `fields` a plan file can hold, and no other. */
function objectSchema(fields: Record<string, FieldRule>, extra: Schema = {}): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(fields)) {
    const schema = fieldSchema(name, rule);
    if (schema === undefined) continue;
    properties[name] = schema;
    if (rule.required) required.push(name);
  }
  return { type: 'object', ...extra, required, properties, additionalProperties: false };
}

/** A job's `run` or `verify` in a plan file: a command, run without a shell unless asked. */
function commandSchema(): Schema {
  const envValue = {
    oneOf: [
      { type: 'string' },
      {
        type: 'object',
        description: 'A secret read from this environment variable when the plan runs.',
        required: ['fromEnv'],
        properties: { fromEnv: { type: 'string', pattern: VARIABLE_NAME.source } },
        additionalProperties: false,
      },
    ],
  };
  const properties = {
    command: { description: RUN_FIELDS.command, type: 'string', minLength: 1 },
    args: { description: RUN_FIELDS.args, type: 'array', items: { type: 'string' } },
    cwd: { description: RUN_FIELDS.cwd, type: 'string' },
    env: {
      description: RUN_FIELDS.env,
      type: 'object',
      propertyNames: { pattern: '^[^=\\u0000\\r\\n]+$' },
      additionalProperties: envValue,
    },
    shell: { description: RUN_FIELDS.shell, type: 'boolean', default: false },
  } satisfies Record<keyof typeof RUN_FIELDS, Schema>;
  return {
    type: 'object',
    required: ['command'],
    properties,
    additionalProperties: false,
    // With shell: true the command is a shell string, and args are refused.
    not: { required: ['shell', 'args'], properties: { shell: { const: true } } },
  };
}

/**
 * The JSON Schema (draft-07) of a plan file, YAML or JSON, generated from the same field tables
 * the validator checks plans with. Editors use it for completion and checks as you type; what
 * it cannot say (a dependency on an unknown job, a cycle, a `cwd` that is missing) `validate`
 * still reports.
 */
export function planFileSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'plan-orchestrator plan file',
    ...objectSchema(PLAN_FIELDS),
    definitions: {
      id: { type: 'string', pattern: ID_PATTERN.source, description: `An id: ${ID_RULE}.` },
      job: objectSchema(JOB_FIELDS),
      retry: objectSchema(RETRY_FIELDS),
      command: commandSchema(),
    },
  };
}
