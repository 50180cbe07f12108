import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareOutputFolder } from '../../src/cli/job-outputs.js';
import { UsageError } from '../../src/cli/redis-options.js';

// The commands run from the sources through tsx, which makes its cache folder under TMPDIR before
// the command starts (creating a missing TMPDIR, failing on an unusable one): so the check is
// tested here, in this file's own copy of the module (nothing here made the folder before), with
// TMPDIR changed around it.
const saved = process.env.TMPDIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
});

describe("the folder for jobs' $PLAN_OUTPUT files", () => {
  it('cannot be made in a TMPDIR that cannot be used: a usage error naming TMPDIR and its value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-tmpdir-'));
    try {
      const missing = join(dir, 'no-such-folder');
      process.env.TMPDIR = missing;
      let thrown: unknown;
      try {
        prepareOutputFolder();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as Error).message).toBe(
        `Cannot make the folder for jobs' $PLAN_OUTPUT files in ${missing} (TMPDIR "${missing}"): ENOENT; set TMPDIR to a folder this user can write`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
