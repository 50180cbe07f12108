import { formatDiagnostic, type LoadedPlan } from './plan-file.js';

/** Exit codes, as documented in the README. */
export const EXIT = {
  completed: 0,
  failed: 1,
  usage: 2,
  unreadableState: 3,
  stateInUse: 5,
  interrupted: 130,
} as const;

export function out(text: string) {
  process.stdout.write(text);
}

/** Reports problems of a plan file and stops with exit code 2. */
export function planOrExit(
  loaded: LoadedPlan,
): asserts loaded is Extract<LoadedPlan, { ok: true }> {
  if (loaded.ok) return;
  for (const diagnostic of loaded.diagnostics)
    process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  process.exit(EXIT.usage);
}
