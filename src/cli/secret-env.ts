import { describeValue } from '../plan/validate.js';
import { createRedactor, MIN_SECRET_LENGTH, type Redact } from '../runtime/redact.js';
import { count } from './plural.js';
import type { ShellRun } from './shell-job.js';

/**
 * An env value of a plan file that is read from the command's own environment when the plan
 * runs, and is secret: the file names the variable, so the value is never in `plan.source`.
 */
export interface FromEnv {
  fromEnv: string;
}

export type EnvValue = string | FromEnv;

/** A job's `run` as the plan file writes it: its env may still name variables to read. */
export type FileRun = Omit<ShellRun, 'env'> & { env?: Record<string, EnvValue> };

export interface EnvIssue {
  path: string;
  code: 'SECRET_NOT_SET' | 'SECRET_TOO_SHORT';
  kind: 'secret_unusable';
  message: string;
}

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Why an env value of a plan file is none of the accepted forms; null when it is one. */
export function envValueProblem(name: string, value: unknown): string | null {
  if (typeof value === 'string') return null;
  if (isObject(value) && 'fromEnv' in value) {
    const others = Object.keys(value).filter((key) => key !== 'fromEnv');
    if (others.length > 0) {
      return `env ${name}: { fromEnv } takes no other field; remove ${others.map((key) => `"${key}"`).join(', ')}`;
    }
    if (typeof value.fromEnv !== 'string' || !VARIABLE_NAME.test(value.fromEnv)) {
      return `env ${name}: fromEnv must name an environment variable (letters, digits and _, not starting with a digit); got ${describeValue(value.fromEnv)}`;
    }
    return null;
  }
  if (isObject(value) && ('secret' in value || 'value' in value)) {
    return `env ${name}: a secret written in the plan file would be stored as written in the state folder (plan.source); put it in an environment variable and write { fromEnv: ${name} }`;
  }
  return `env ${name} must be a string, or { fromEnv: NAME } to take a secret from the environment; got ${describeValue(value)}`;
}

/**
 * The secret env values of one plan file: reads each `{ fromEnv: NAME }` from the environment,
 * and redacts every value it read from everything any job of the plan reports (a secret one job
 * received can reach another's output through a file or a service).
 */
export class PlanEnv {
  private readonly secrets = new Set<string>();
  private redactor: Redact | null = null;

  /** `environment` null: check the form only, read nothing (for commands that run nothing). */
  constructor(private readonly environment: NodeJS.ProcessEnv | null) {}

  /** Built when first used (jobs run after the whole file was read), again after a new secret. */
  readonly redact: Redact = (text) => {
    this.redactor ??= createRedactor(this.secrets);
    return this.redactor(text);
  };

  /** The run with its secrets read; a secret that cannot be used is an issue, and left out. */
  resolve(run: FileRun | null, path: string, jobId: string, issues: EnvIssue[]): ShellRun | null {
    if (!run) return null;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(run.env ?? {})) {
      if (typeof value === 'string') {
        env[name] = value;
        continue;
      }
      if (!this.environment) continue;
      const secret = this.environment[value.fromEnv];
      const where = `env ${name} of job "${jobId}" is a secret taken from the environment variable ${value.fromEnv}`;
      if (secret === undefined) {
        issues.push({
          path: `${path}.env.${name}`,
          code: 'SECRET_NOT_SET',
          kind: 'secret_unusable',
          message: `${where}, which is not set; set ${value.fromEnv} and run again (resume needs it set again too: secret values are never stored)`,
        });
      } else if (secret.length < MIN_SECRET_LENGTH) {
        issues.push({
          path: `${path}.env.${name}`,
          code: 'SECRET_TOO_SHORT',
          kind: 'secret_unusable',
          message: `${where}, which holds ${count(secret.length, 'character')}; a secret needs at least ${MIN_SECRET_LENGTH} to be redacted from the output without hiding ordinary text`,
        });
      } else {
        env[name] = secret;
        this.secrets.add(secret);
        this.redactor = null;
      }
    }
    return run.env === undefined ? (run as ShellRun) : { ...run, env };
  }
}
