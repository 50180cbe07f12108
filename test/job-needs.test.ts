import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createOrchestrator,
  definePlan,
  type JobRunContext,
  type JobSpec,
  MemoryStore,
  type OutputOf,
} from '../src/index.js';
import { createTestOrchestrator, resumeTestOrchestrator } from '../src/testing/index.js';

describe('ctx.needs', () => {
  it('hands a job the outputs of its direct dependencies, typed from their run functions', async () => {
    const build = { id: 'build', run: async () => ({ version: '1.2.0', files: 3 }) };
    const test = { id: 'test', run: async () => 'passed' };
    const seen: unknown[] = [];
    const release = {
      id: 'release',
      dependsOn: ['build'],
      run: async ({ needs }: JobRunContext<unknown, { build: OutputOf<typeof build> }>) => {
        expectTypeOf(needs.build.version).toEqualTypeOf<string>();
        seen.push({ ...needs });
        return `v${needs.build.version}`;
      },
    };
    const publish = {
      id: 'publish',
      dependsOn: ['release', 'test'],
      run: async ({ needs }: JobRunContext) => {
        seen.push({ ...needs });
      },
    };
    const plan = definePlan({ id: 'needs', jobs: [build, test, release, publish] });
    const view = await createOrchestrator(plan).start().whenSettled();
    expect(view.status).toBe('completed');
    // Only direct dependencies: publish sees release and test, not build.
    expect(seen).toEqual([
      { build: { version: '1.2.0', files: 3 } },
      { release: 'v1.2.0', test: 'passed' },
    ]);
  });

  it('gives a job resumed after a crash the outputs recorded before it', async () => {
    const plan = {
      id: 'p',
      jobs: [
        { id: 'a' },
        { id: 'b', dependsOn: ['a'], run: ({ needs }: JobRunContext) => ({ got: needs.a }) },
      ] as Array<Omit<JobSpec, 'run'> & { run?: JobSpec['run'] }>,
    };
    const store = new MemoryStore();
    const first = createTestOrchestrator(
      { ...plan, jobs: [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }] },
      { store },
    );
    await first.start();
    await first.complete('a', { artifact: 'a.tar' });
    // The process stops while b runs; b runs again after the resume, with a's output.
    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'completed',
      jobs: [{ id: 'a' }, { id: 'b', output: { got: { artifact: 'a.tar' } } }],
    });
    kit.checkInvariants();
  });
});
