import type { FileRun } from './secret-env.js';

/**
 * Every field of a plan file's `run` (and `verify`), with what it means: what the loader accepts
 * and what the plan file's JSON Schema describes. The compiler holds it to `FileRun`'s fields.
 */
export const RUN_FIELDS = {
  command: 'The program to run (looked up on PATH), or with shell: true a shell command line.',
  args: 'Arguments passed to the program as they are, never through a shell.',
  cwd: "The folder to run in, relative to the plan file's folder; it must exist.",
  env: 'Environment variables added to the inherited ones: a string, or { fromEnv: NAME } to take a secret from the environment of the command line.',
  shell: 'Run command through /bin/sh -c; args are then refused. Default false.',
} as const satisfies { readonly [K in keyof FileRun]-?: string };

/** Names other tools use for these fields (GitHub Actions' `working-directory`, Compose's `working_dir`). */
export const RUN_FIELD_ALIASES: Readonly<Record<string, keyof FileRun>> = {
  'working-directory': 'cwd',
  working_dir: 'cwd',
  workdir: 'cwd',
  cmd: 'command',
  arguments: 'args',
  environment: 'env',
};

/**
 * The fields of a plan file's `defaults:`, given to every job that does not set its own: `retry`
 * and `timeoutMs` follow the job's rules, `cwd` and `env` those of its `run` (env merged per
 * name, the job's value winning).
 */
export const DEFAULTS_FIELDS = {
  retry: 'Retry policy of every job that has none of its own.',
  timeoutMs: 'Time limit of one attempt of every job that sets none, in ms.',
  cwd: "The folder every job's run and verify use unless they name one.",
  env: "Environment variables of every job's run and verify; a job's own value for a name wins.",
} as const;

/** Fields a plan file may add at the top level and in jobs for its own reuse (YAML anchors): ignored. */
export const REUSE_PREFIX = 'x-';
