import {
  type FieldRule,
  INTEGRATION_FIELDS,
  JOB_FIELDS,
  PLAN_FIELDS,
  RETRY_FIELDS,
} from '../plan/fields.js';
import { ID_PATTERN, ID_RULE } from '../plan/validate.js';
import { DEFAULTS_FIELDS, REUSE_PREFIX, RUN_FIELDS } from './run-fields.js';
import { VARIABLE_NAME } from './secret-env.js';

type Schema = Record<string, unknown>;

/** Where the schema's definitions are, for `$ref`s. */
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

/**
 * The JSON Schema of one field as a plan file writes it. Every function of a plan (a job's `run`
 * and `verify`, the integration hooks, `finalize`) is a command in a file.
 */
function fieldSchema(rule: FieldRule): Schema {
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
    case 'boolean':
      return described({ type: 'boolean', default: rule.default });
    case 'id':
      return described(ref('id'));
    case 'ids':
      return described({ type: 'array', items: { type: 'string' }, uniqueItems: true });
    case 'json':
      return described({});
    case 'object':
      return described(ref(rule.fields));
    case 'jobs':
      return described({ type: 'array', items: ref('job') });
    case 'function':
      return described(ref('command'));
  }
}

/** An object whose fields are those of `fields` a plan file can hold, and no other. */
function objectSchema(fields: Record<string, FieldRule>, extra: Schema = {}): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(fields)) {
    properties[name] = fieldSchema(rule);
    if (rule.required) required.push(name);
  }
  return { type: 'object', ...extra, required, properties, additionalProperties: false };
}

/** A command of a plan file (a job's `run` or `verify`, a hook, `finalize`): run without a shell unless asked. */
function commandSchema(): Schema {
  const properties = commandProperties();
  return {
    type: 'object',
    required: ['command'],
    properties,
    additionalProperties: false,
    // With shell: true the command is a shell string, and args are refused.
    not: { required: ['shell', 'args'], properties: { shell: { const: true } } },
  };
}

/** `x-` fields hold what the file reuses (YAML anchors); they are ignored. */
const reuseFields = { patternProperties: { [`^${REUSE_PREFIX}`]: {} } };

/** The plan file's `defaults:` for every job. */
function defaultsSchema(): Schema {
  const { cwd, env } = commandProperties();
  const properties = {
    retry: { ...fieldSchema(JOB_FIELDS.retry), description: DEFAULTS_FIELDS.retry },
    timeoutMs: { ...fieldSchema(JOB_FIELDS.timeoutMs), description: DEFAULTS_FIELDS.timeoutMs },
    cwd: { ...cwd, description: DEFAULTS_FIELDS.cwd },
    env: { ...env, description: DEFAULTS_FIELDS.env },
  } satisfies Record<keyof typeof DEFAULTS_FIELDS, Schema>;
  return { type: 'object', properties, additionalProperties: false };
}

function commandProperties() {
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
  return properties;
}

/**
 * The JSON Schema (draft-07) of a plan file, YAML or JSON, generated from the same field tables
 * the validator checks plans with. Editors use it for completion and checks as you type; what
 * it cannot say (a dependency on an unknown job, a cycle, a `cwd` that is missing) `validate`
 * still reports.
 */
export function planFileSchema(): Schema {
  const plan = objectSchema(PLAN_FIELDS, reuseFields);
  // A field of plan files only: code sets these values on its jobs itself.
  plan.properties = {
    ...(plan.properties as Schema),
    defaults: { description: 'Values every job has unless it sets its own.', ...ref('defaults') },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'plan-orchestrator plan file',
    ...plan,
    definitions: {
      id: { type: 'string', pattern: ID_PATTERN.source, description: `An id: ${ID_RULE}.` },
      job: objectSchema(JOB_FIELDS, reuseFields),
      defaults: defaultsSchema(),
      retry: objectSchema(RETRY_FIELDS),
      integration: objectSchema(INTEGRATION_FIELDS),
      command: commandSchema(),
    },
  };
}
