import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toErrorInfo } from '../machines/errors.js';
import { createOrchestrator } from '../src/index.js';

const host = join(import.meta.dirname, 'support', 'hostile-host.ts');

/** Runs the host process with one hostile case; resolves with its exit code and output. */
function runHost(kase: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', host, kase], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<{ code: number | null; lines: string[]; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, lines: stdout.trim().split('\n'), stderr }));
  });
}

const settled = (line: string | undefined) => {
  const match = /^settled (\w+) (.*)$/.exec(line ?? '');
  expect(match, `the host printed ${JSON.stringify(line)}`).not.toBeNull();
  return { status: match![1], failure: JSON.parse(match![2]!) };
};

describe('a host process fed hostile values by user code', () => {
  it('stays alive when a job rejects with a BigInt; the job fails with "10n"', async () => {
    const result = await runHost('reject-bigint');
    expect(result.code).toBe(0);
    expect(settled(result.lines[0])).toEqual({
      status: 'failed',
      failure: { kind: 'job_failed', error: { name: 'Error', message: '10n' } },
    });
  });

  it('stays alive when a job rejects with a cyclic object, which is kept as data', async () => {
    const result = await runHost('reject-cyclic');
    expect(result.code).toBe(0);
    expect(settled(result.lines[0]).failure.error).toEqual({
      name: 'Error',
      message: '{ reason: "loop", self: [Circular] }',
      data: { reason: 'loop', self: '[Circular]' },
    });
  });

  it('keeps a rejected { code: 42 } as data, not as a string', async () => {
    const result = await runHost('reject-code-42');
    expect(result.code).toBe(0);
    expect(settled(result.lines[0]).failure.error).toEqual({
      name: 'Error',
      message: '{ code: 42 }',
      data: { code: 42 },
    });
  });

  it('reports a throwing events$ and view$ subscriber once each, and the plan completes for everyone', async () => {
    const result = await runHost('throwing-subscribers');
    expect(result.code).toBe(0);
    expect(settled(result.lines[0]).status).toBe('completed');
    const records = result.lines.slice(1);
    // The counting subscriber saw every record, in order, the reports included.
    expect(records.map((line) => Number(line.split(':')[0]))).toEqual(records.map((_, i) => i + 1));
    expect(records.filter((line) => line.endsWith(':subscriber-failed'))).toHaveLength(2);
    expect(records.filter((line) => line.endsWith(':job-succeeded'))).toHaveLength(2);
    expect(records.at(-1)).toMatch(/:plan-completed$/);
    expect(
      result.stderr.match(
        /warning: a subscriber of events\$ threw Error: events subscriber broke/g,
      ),
    ).toHaveLength(1);
    expect(
      result.stderr.match(
        /warning: a subscriber of view\$ threw TypeError: view subscriber broke/g,
      ),
    ).toHaveLength(1);
  });

  it('stays alive when a job returns a BigInt output while the inspector page is open, and the page gets it rendered', async () => {
    const result = await runHost('bigint-output-inspected');
    expect(result.code).toBe(0);
    expect(result.lines).toEqual(['settled completed null', 'page saw the output']);
  });
});

describe('a host process with a file store fed values that cannot be stored', () => {
  it('refuses a command holding a cycle with the reason, records it, and the plan goes on', async () => {
    const result = await runHost('stored-command-cyclic');
    expect(result.code).toBe(0);
    const reason =
      'CANCEL rejected: command.reason.self: a circular reference; send plain JSON data';
    expect(result.lines).toEqual([
      'settled canceled null',
      `command-rejected: ${reason}`,
      `answer: ${JSON.stringify({ accepted: false, reason })}`,
      'journal: plan-canceled',
    ]);
  });

  it('fails finalize when it returns a BigInt, naming it, and the journal stays whole', async () => {
    const result = await runHost('stored-finalize-bigint');
    expect(result.code).toBe(0);
    expect(result.lines).toContain(
      'finalize-failed: finalize of plan "p" returned an output that cannot be stored: output: a bigint; return plain JSON data',
    );
    expect(result.lines[0]).toBe('settled failed null');
    expect(result.lines.at(-1)).toBe('journal: plan-failed');
  });
});

describe('verify returning violations that are not strings', () => {
  it('lists them readably instead of as [object Object]', async () => {
    const orchestrator = createOrchestrator({
      id: 'p',
      onJobFailure: 'fail',
      jobs: [
        {
          id: 'a',
          run: async () => 1,
          verify: () => [{ field: 'size', limit: 10n }, Object.create(null), 'plain'] as never,
        },
      ],
    });
    const view = await orchestrator.start().whenSettled();
    expect(view.jobs[0]!.failure).toMatchObject({
      kind: 'verification',
      violations: ['{ field: "size", limit: 10n }', '{}', 'plain'],
    });
  });
});

describe('toErrorInfo', () => {
  it('never throws, whatever it is given', () => {
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const trapping = new Proxy(
      {},
      {
        get: () => {
          throw new Error('get');
        },
        ownKeys: () => {
          throw new Error('ownKeys');
        },
        getPrototypeOf: () => {
          throw new Error('getPrototypeOf');
        },
      },
    );
    const getters = {
      get code(): string {
        throw new Error('getter');
      },
      toJSON() {
        throw new Error('toJSON');
      },
      ok: 1,
    };
    for (const value of [revocable.proxy, trapping, getters, undefined, null, Symbol('s'), 1n]) {
      const info = toErrorInfo(value);
      expect(typeof info.message).toBe('string');
      expect(() => JSON.stringify(info)).not.toThrow();
    }
    expect(toErrorInfo(getters)).toEqual({
      name: 'Error',
      message: '{ code: [unreadable], toJSON: [function toJSON], ok: 1 }',
      data: { code: '[unreadable]', toJSON: '[function toJSON]', ok: 1 },
    });
    expect(toErrorInfo(undefined)).toEqual({ name: 'Error', message: 'undefined' });
  });

  it("keeps an Error's name, message and string code, and its other fields as data", () => {
    const error = Object.assign(new RangeError('too far'), {
      code: 'E_FAR',
      status: 503,
      retryAfter: 10n,
    });
    expect(toErrorInfo(error)).toEqual({
      name: 'RangeError',
      message: 'too far',
      code: 'E_FAR',
      data: { status: 503, retryAfter: '10n' },
    });
    expect(toErrorInfo(Object.assign(new Error('n'), { code: 7 }))).toEqual({
      name: 'Error',
      message: 'n',
      data: { code: 7 },
    });
  });

  it('takes the name and message of an error-like object from another realm', () => {
    expect(toErrorInfo({ name: 'AbortError', message: 'stopped', code: 'ABORT_ERR' })).toEqual({
      name: 'AbortError',
      message: 'stopped',
      code: 'ABORT_ERR',
    });
  });
});
