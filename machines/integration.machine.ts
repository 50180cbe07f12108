import { assign, cancel, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import { type ErrorInfo, toErrorInfo } from './errors.js';

/**
 * One job's passage through the serial integration stage (a merge train): `integrate`, then
 * `check`; a failed or timed-out check is rolled back before anything else integrates. After a
 * restart, an integration that may have been half done is rolled back first.
 */

export interface IntegrationInput {
  jobId: string;
  /** `<jobId>@<n>`: identifies this integration in the plan's records. */
  integrationId: string;
  output: unknown;
  check: boolean;
  rollback: boolean;
  rollbackFirst: boolean;
  checkTimeoutMs: number | null;
}

/** What an integration hook receives: the job's id and output. */
export interface HookInput {
  jobId: string;
  integrationId: string;
  output: unknown;
}

export type IntegrationFailureKind = 'integration_conflict' | 'check_failed';

export type IntegrationToPlanEvent =
  | { type: 'INTEGRATION_DONE'; jobId: string; integrationId: string; changed: boolean }
  | {
      type: 'INTEGRATION_FAILED';
      jobId: string;
      integrationId: string;
      kind: IntegrationFailureKind;
      error: ErrorInfo;
    };

export interface IntegrationContext extends IntegrationInput {
  changed: boolean;
  failure: { kind: IntegrationFailureKind; error: ErrorInfo } | null;
}

const hookInput = ({ context }: { context: IntegrationContext }): HookInput => ({
  jobId: context.jobId,
  integrationId: context.integrationId,
  output: context.output,
});

/** One job's passage through the integration stage. Exported for visualisation. */
export const integrationMachine = setup({
  types: {
    input: {} as IntegrationInput,
    context: {} as IntegrationContext,
    events: {} as { type: 'CHECK_TIMED_OUT' },
  },
  actors: {
    // Placeholders; the orchestrator provides the plan's hooks (src/runtime/hook-actors.ts).
    integrate: fromPromise<{ changed: boolean }, HookInput>(async () => ({ changed: true })),
    check: fromPromise<boolean, HookInput>(async () => true),
    rollback: fromPromise<void, HookInput>(async () => {}),
  },
  guards: {
    rollbackFirst: ({ context }) => context.rollbackFirst && context.rollback,
    hasCheck: ({ context }) => context.check,
    hasRollback: ({ context }) => context.rollback,
  },
  actions: {
    fail: assign({
      failure: ({ event }, params: { kind: IntegrationFailureKind; message?: string }) => ({
        kind: params.kind,
        error: params.message
          ? { name: 'CheckFailedError', message: params.message }
          : toErrorInfo((event as { error?: unknown }).error),
      }),
    }),
    armCheckTimeout: enqueueActions(({ context, enqueue }) => {
      if (context.checkTimeoutMs !== null) {
        enqueue.raise(
          { type: 'CHECK_TIMED_OUT' },
          { id: 'checkTimeout', delay: context.checkTimeoutMs },
        );
      }
    }),
    reportDone: sendParent(({ context }) => ({
      type: 'INTEGRATION_DONE' as const,
      jobId: context.jobId,
      integrationId: context.integrationId,
      changed: context.changed,
    })),
    reportFailed: sendParent(({ context }) => ({
      type: 'INTEGRATION_FAILED' as const,
      jobId: context.jobId,
      integrationId: context.integrationId,
      kind: context.failure!.kind,
      error: context.failure!.error,
    })),
  },
}).createMachine({
  id: 'integration',
  context: ({ input }) => ({ ...input, changed: true, failure: null }),
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'rollbackFirst', target: 'rollingBackFirst' }, { target: 'integrating' }],
    },
    rollingBackFirst: {
      invoke: {
        src: 'rollback',
        input: hookInput,
        onDone: 'integrating',
        onError: {
          target: 'failed',
          actions: { type: 'fail', params: { kind: 'integration_conflict' } },
        },
      },
    },
    integrating: {
      invoke: {
        src: 'integrate',
        input: hookInput,
        onDone: [
          {
            guard: ({ event }) => event.output.changed === false,
            target: 'done',
            actions: assign({ changed: false }),
          },
          { guard: 'hasCheck', target: 'checking' },
          { target: 'done' },
        ],
        onError: {
          target: 'failed',
          actions: { type: 'fail', params: { kind: 'integration_conflict' } },
        },
      },
    },
    checking: {
      entry: 'armCheckTimeout',
      exit: cancel('checkTimeout'),
      invoke: {
        src: 'check',
        input: hookInput,
        onDone: [
          { guard: ({ event }) => event.output !== false, target: 'done' },
          {
            target: 'undoing',
            actions: {
              type: 'fail',
              params: { kind: 'check_failed', message: 'check returned false' },
            },
          },
        ],
        onError: { target: 'undoing', actions: { type: 'fail', params: { kind: 'check_failed' } } },
      },
      on: {
        CHECK_TIMED_OUT: {
          target: 'undoing',
          actions: {
            type: 'fail',
            params: { kind: 'check_failed', message: 'check timed out' },
          },
        },
      },
    },
    undoing: {
      always: [{ guard: 'hasRollback', target: 'rollingBack' }, { target: 'failed' }],
    },
    rollingBack: {
      invoke: {
        src: 'rollback',
        input: hookInput,
        onDone: 'failed',
        // The check failure is what the plan must act on; a failed rollback is added to its message.
        onError: {
          target: 'failed',
          actions: assign({
            failure: ({ context, event }) => ({
              kind: 'check_failed' as const,
              error: {
                ...context.failure!.error,
                message: `${context.failure!.error.message}; rollback also failed: ${toErrorInfo(event.error).message}`,
              },
            }),
          }),
        },
      },
    },
    done: { type: 'final', entry: 'reportDone' },
    failed: { type: 'final', entry: 'reportFailed' },
  },
});
