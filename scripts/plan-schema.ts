import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planFileSchema } from '../src/cli/plan-schema.js';

/** Writes schema/plan.schema.json (npm run schema), formatted as the linter wants it. */
const root = join(import.meta.dirname, '..');
export const SCHEMA_FILE = join(root, 'schema', 'plan.schema.json');

writeFileSync(SCHEMA_FILE, `${JSON.stringify(planFileSchema(), null, 2)}\n`);
execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', SCHEMA_FILE], {
  stdio: 'inherit',
});
