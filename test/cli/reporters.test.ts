import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainReporter, prettyReporter } from '../../src/cli/reporters.js';
import type { StampedRecord } from '../../src/shared/records.js';
import { node, planFile } from './jobs.js';
import { cli } from './run-cli.js';

const restored = {
  seq: 12,
  at: 0,
  type: 'plan-restored',
  fromSeq: 11,
  warnings: ['journal.jsonl:12: a torn last line was dropped (a crash during a write)'],
} as unknown as StampedRecord;

describe('a restored plan whose journal was repaired', () => {
  it('the plain reporter shows the warning', () => {
    let output = '';
    plainReporter(
      (text) => {
        output += text;
      },
      () => 0,
    ).record(restored);
    expect(output).toBe(
      '[  0.0s] warning: journal.jsonl:12: a torn last line was dropped (a crash during a write)\n',
    );
  });

  it('the pretty reporter shows the warning', () => {
    let output = '';
    prettyReporter(
      (text) => {
        output += text;
      },
      () => 0,
    ).record(restored);
    expect(output).toBe(
      'warning: journal.jsonl:12: a torn last line was dropped (a crash during a write)\n',
    );
  });
});

describe('resume of a state folder whose journal ends in a torn line', () => {
  it('prints the warning with the plain reporter', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-torn-'));
    try {
      const file = await planFile(dir, 'plan.json', {
        id: 'torn',
        jobs: [{ id: 'a', run: node("console.log('ready'); setInterval(() => {}, 1000)") }],
      });
      const stateDir = join(dir, 'state');
      const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
        onLine: (line, child) => {
          if (line.includes('a | ready')) child.kill('SIGINT');
        },
      });
      expect(first.code).toBe(130);
      await appendFile(join(stateDir, 'journal.jsonl'), '{"seq": 99, "type": "job-succ');
      const resumed = await cli(['resume', stateDir, '--reporter', 'plain'], {
        onLine: (line, child) => {
          if (line.includes('a | ready')) child.kill('SIGINT');
        },
      });
      expect(resumed.stdout).toMatch(
        /\] warning: .*journal\.jsonl:\d+: dropped a torn last line \(the process stopped while writing it\)\n/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
