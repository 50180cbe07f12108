import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendControl } from '../src/cli/control.js';
import {
  ControlNoAnswerError,
  JobAbortedError,
  OrchestratorError,
  type OrchestratorErrorCode,
  PlanFinishedError,
  PlanNotRunningError,
  RedisStoreError,
  ResumeJobsMissingError,
  StateLockedError,
} from '../src/index.js';

type ErrorsModule = typeof import('../src/shared/errors.js');

/** The error classes as a second copy of the package has them (another install, say). */
async function secondCopy(): Promise<ErrorsModule> {
  // The query makes the module loader evaluate the file again: new classes, as another install has.
  const specifier = '../src/shared/errors.ts?copy';
  const copy = (await import(specifier)) as ErrorsModule;
  expect(copy.OrchestratorError).not.toBe(OrchestratorError);
  return copy;
}

describe('error classes across copies of the package', () => {
  it('an error thrown by a second copy is an instance of its class and its ancestors here', async () => {
    const copy = await secondCopy();
    const finished = new copy.PlanFinishedError('p', 'completed');
    expect(finished instanceof PlanFinishedError).toBe(true);
    expect(finished instanceof OrchestratorError).toBe(true);
    expect(finished instanceof Error).toBe(true);
    const missing = new copy.ResumeJobsMissingError('p', ['B']);
    expect(missing instanceof ResumeJobsMissingError).toBe(true);
    expect(missing.missing).toEqual(['B']);
  });

  it('an error of this copy is an instance of the classes of a second copy', async () => {
    const copy = await secondCopy();
    const locked = new StateLockedError('/state', null, 'locked');
    expect(locked instanceof copy.StateLockedError).toBe(true);
    expect(locked instanceof copy.OrchestratorError).toBe(true);
  });

  it('an error of one class is not an instance of a sibling class, in either copy', async () => {
    const copy = await secondCopy();
    const notRunning = new copy.PlanNotRunningError('not running');
    expect(notRunning instanceof ControlNoAnswerError).toBe(false);
    expect(notRunning instanceof PlanFinishedError).toBe(false);
    expect(new JobAbortedError('A', 'skipped') instanceof copy.RedisStoreError).toBe(false);
    expect(new Error('plain') instanceof OrchestratorError).toBe(false);
    expect({ code: 'PLAN_NOT_RUNNING' } instanceof PlanNotRunningError).toBe(false);
  });

  it('an object carrying a class brand is recognised as that class', () => {
    const branded = { [Symbol.for('plan-orchestrator/RedisStoreError')]: true, code: 'REDIS_AUTH' };
    expect(branded instanceof RedisStoreError).toBe(true);
    expect(branded instanceof PlanFinishedError).toBe(false);
  });

  it('an object made from a class prototype without its constructor is still an instance', () => {
    const made = Object.create(PlanFinishedError.prototype) as unknown;
    expect(made instanceof PlanFinishedError).toBe(true);
    expect(made instanceof OrchestratorError).toBe(true);
  });

  it('a subclass users define is an instance of its own class and of OrchestratorError', () => {
    class StageError extends OrchestratorError {}
    const error = new StageError('JOB_CANCELED', 'stopped');
    expect(error instanceof StageError).toBe(true);
    expect(error instanceof OrchestratorError).toBe(true);
    expect(error instanceof PlanFinishedError).toBe(false);
    expect(error.name).toBe('StageError');
  });
});

describe('error codes', () => {
  it('an OrchestratorError accepts only a code of the taxonomy', () => {
    const code: OrchestratorErrorCode = 'PLAN_NOT_RUNNING';
    // @ts-expect-error: not a code this library throws
    const unknown = new OrchestratorError('NOT_A_CODE', 'made up');
    expect(new OrchestratorError(code, 'm').code).toBe('PLAN_NOT_RUNNING');
    expect(unknown.code).toBe('NOT_A_CODE');
  });

  it('a control command to a state folder no plan runs in rejects with a PlanNotRunningError', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'not-running-'));
    const sent = sendControl(stateDir, { type: 'PAUSE' });
    await expect(sent).rejects.toBeInstanceOf(PlanNotRunningError);
    await expect(sent).rejects.toMatchObject({
      code: 'PLAN_NOT_RUNNING',
      name: 'PlanNotRunningError',
      message: `No plan runs with state folder ${stateDir} (no control.token); start one with run --state-dir`,
    });
  });
});
