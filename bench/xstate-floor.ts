/**
 * XState's own floor for the shape every job has here: a machine child that is reused takes
 * `RUN`, its work ends a microtask later (an event for the child, as an attempt's outcome is),
 * and it reports to its parent machine, which counts the report and hands it the next `RUN`.
 * Three XState events per job and nothing else: no plan bookkeeping, no records, no real
 * attempt. What a job would cost if this library added nothing to XState.
 * `npx tsx bench/xstate-floor.ts [jobs]` prints CPU µs per job (the median of 5 runs).
 */
import { type AnyActorRef, assign, createActor, sendParent, sendTo, setup, waitFor } from 'xstate';

const JOBS = Number(process.argv[2] ?? 100_000);

const job = setup({
  types: { events: {} as { type: 'RUN' } | { type: 'SUCCEEDED' } },
  actions: { report: sendParent({ type: 'DONE' }) },
}).createMachine({
  initial: 'idle',
  states: {
    idle: { on: { RUN: 'running' } },
    running: { on: { SUCCEEDED: { target: 'idle', actions: 'report' } } },
  },
});

const plan = setup({
  types: { context: {} as { left: number }, events: {} as { type: 'DONE' } },
  actors: { job },
  actions: {
    runJob: sendTo('job', { type: 'RUN' }),
    count: assign({ left: ({ context }) => context.left - 1 }),
  },
}).createMachine({
  context: { left: JOBS },
  invoke: { id: 'job', src: 'job' },
  initial: 'waiting',
  states: {
    waiting: {
      entry: 'runJob',
      on: {
        DONE: [
          {
            guard: ({ context }) => context.left > 1,
            target: 'waiting',
            reenter: true,
            actions: 'count',
          },
          { target: 'done', actions: 'count' },
        ],
      },
    },
    done: { type: 'final' },
  },
});

async function once(): Promise<number> {
  const cpu = process.cpuUsage();
  const actor = createActor(plan);
  // The job's work: it ends a microtask after the job enters `running`, as an async no-op does.
  actor.subscribe(() => {
    const child = actor.getSnapshot().children.job as AnyActorRef | undefined;
    if (child && !watched.has(child)) {
      watched.add(child);
      const work = (snapshot: { value: unknown }) => {
        if (snapshot.value === 'running') queueMicrotask(() => child.send({ type: 'SUCCEEDED' }));
      };
      work(child.getSnapshot());
      child.subscribe(work);
    }
  });
  actor.start();
  await waitFor(actor, (snapshot) => snapshot.status === 'done', {
    timeout: Number.POSITIVE_INFINITY,
  });
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / JOBS;
}
const watched = new WeakSet<AnyActorRef>();

await once(); // warm-up
const runs: number[] = [];
for (let i = 0; i < 5; i++) runs.push(await once());
runs.sort((a, b) => a - b);
console.log(
  `XState, ${JOBS.toLocaleString('en')} jobs through one reused job machine (RUN, its outcome, the report: 3 events per job): ${runs[2]!.toFixed(1)} µs of CPU per job (min ${runs[0]!.toFixed(1)})`,
);
