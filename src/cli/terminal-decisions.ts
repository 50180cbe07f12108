import { createInterface, type Interface } from 'node:readline';
import type { Checkpoint } from '../../machines/plan/records.js';
import { planStatusOf } from '../../machines/plan.machine.js';
import type { Command } from '../runtime/command.js';
import type { Orchestrator } from '../runtime/orchestrator.js';
import type { PlanView } from '../runtime/view.js';
import type { OutputLine } from './shell-job.js';
import { describeCheckpoint } from './stranded.js';

/**
 * Decisions at the terminal: when `run` or `resume` is attached to one (stdin and stdout both
 * terminals) and the plan stops at a checkpoint, the person there is asked what to do, and the
 * answer is sent as the command the control channel would send.
 */

export const attachedToTerminal = (): boolean =>
  process.stdin.isTTY === true && process.stdout.isTTY === true;

/** Lines of a job's output shown with the question. */
const LAST_LINES = 10;

interface Choice {
  /** What a person types: the word, or its first letter. */
  word: string;
  label: string;
  command: Command;
}

/** What can be decided at `checkpoint`, or none where a person has nothing to decide here. */
function choicesAt(checkpoint: Checkpoint | null): Choice[] {
  const cancel: Choice = { word: 'cancel', label: 'cancel the plan', command: { type: 'CANCEL' } };
  if (checkpoint === null || checkpoint.name === 'user') return [];
  const approve = (label: string, jobId?: string): Choice => ({
    word: 'approve',
    label,
    command: {
      type: 'APPROVE',
      checkpoint: checkpoint.name as Extract<Command, { type: 'APPROVE' }>['checkpoint'],
      ...(jobId ? { jobId } : {}),
    },
  });
  const skip = (jobId: string): Choice => ({
    word: 'skip',
    label: `skip job "${jobId}"`,
    command: { type: 'SKIP_JOB', jobId },
  });
  switch (checkpoint.name) {
    case 'on_error': {
      if (!('jobId' in checkpoint)) {
        return [
          { word: 'retry', label: 'run finalize again', command: { type: 'RETRY_FINALIZE' } },
          cancel,
        ];
      }
      const { jobId, kind } = checkpoint;
      const retry = (word: string, from: 'run' | 'verify' | 'integrate', label: string) => ({
        word,
        label,
        command: { type: 'RETRY_JOB', jobId, from } as Command,
      });
      return [
        retry('retry', 'run', `run job "${jobId}" again`),
        ...(kind === 'verification' ? [retry('verify', 'verify', 'check its result again')] : []),
        ...(kind === 'integration_conflict' || kind === 'check_failed'
          ? [retry('integrate', 'integrate', 'integrate its result again')]
          : []),
        skip(jobId),
        approve('accept the failure and go on (its dependents are blocked)', jobId),
        cancel,
      ];
    }
    case 'pre_run':
    case 'pre_integrate':
      return [
        approve(`let job "${checkpoint.jobId}" go on`, checkpoint.jobId),
        skip(checkpoint.jobId),
        cancel,
      ];
    case 'persistence':
      return [
        { word: 'continue', label: 'write the state again', command: { type: 'RESUME' } },
        cancel,
      ];
    default:
      return [approve('go on'), cancel];
  }
}

/**
 * Asks at every checkpoint the plan stops at, for as long as the plan runs. `hold(true)` is
 * called while a question waits for its answer (the live view pauses then), `hold(false)` after.
 */
export function askAtCheckpoints(
  orchestrator: Orchestrator,
  hold: (held: boolean) => void,
): { close(): void } {
  const lines = new Map<string, string[]>();
  orchestrator.events$.subscribe((record) => {
    if (record.type === 'attempt-started') lines.set(record.jobId, []);
    // Only a job that stops the plan has its lines shown: a succeeded one's are let go.
    if (record.type === 'job-succeeded') lines.delete(record.jobId);
    if (record.type !== 'job-progress') return;
    const line = (record.progress as Partial<OutputLine> | null)?.line;
    if (typeof line !== 'string') return;
    const kept = lines.get(record.jobId) ?? [];
    kept.push(line);
    if (kept.length > LAST_LINES) kept.shift();
    lines.set(record.jobId, kept);
  });
  let rl: Interface | null = null;
  let latest: PlanView | null = null;
  let asking = false;
  let closed = false;
  const ask = () => {
    const view = latest;
    if (asking || closed || view?.status !== 'paused') return;
    const choices = choicesAt(view.checkpoint);
    if (choices.length === 0) return;
    asking = true;
    hold(true);
    if (!rl) {
      rl = createInterface({ input: process.stdin, output: process.stdout });
      // Ctrl-C at the question stops the run as it does anywhere else.
      rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    }
    const checkpoint = view.checkpoint!;
    const jobId = 'jobId' in checkpoint ? checkpoint.jobId : undefined;
    const output = jobId && checkpoint.name === 'on_error' ? (lines.get(jobId) ?? []) : [];
    const question = [
      `plan "${view.planId}" is paused at ${describeCheckpoint(checkpoint)}`,
      ...(output.length > 0
        ? [`last lines of job "${jobId}":`, ...output.map((line) => `  | ${line}`)]
        : []),
      ...choices.map((c) => `  [${c.word[0]}]${c.word.slice(1)}: ${c.label}`),
      'decide: ',
    ].join('\n');
    rl.question(question, (answer) => {
      const typed = answer.trim().toLowerCase();
      const choice = choices.find((c) => c.word === typed || c.word[0] === typed);
      if (!choice) {
        process.stdout.write(`answer one of ${choices.map((c) => c.word).join(', ')}\n`);
      } else {
        const result = orchestrator.send(choice.command);
        // The view that asked is out of date once a command is taken: the next one decides.
        if (result.accepted) latest = null;
        process.stdout.write(
          result.accepted ? `${choice.command.type} accepted\n` : `${result.reason}\n`,
        );
      }
      asking = false;
      hold(false);
      ask();
    });
  };
  // The plan's view is built only when it pauses, not after every change (`view$` would build
  // it for every burst of a large plan); changes are looked at once per microtask, as `view$` does.
  let scheduled = false;
  const look = () => {
    scheduled = false;
    const paused = planStatusOf(orchestrator.actor.getSnapshot()) === 'paused';
    latest = paused ? orchestrator.getView() : null;
    ask();
  };
  look();
  orchestrator.actor.subscribe({
    next: () => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(look);
    },
    // The run reports the plan's failure; nothing is asked of a plan that failed.
    error: () => {},
  });
  return {
    close() {
      closed = true;
      rl?.close();
    },
  };
}
