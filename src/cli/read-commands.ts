import { integrationMachine } from '../../machines/integration.machine.js';
import { jobMachine } from '../../machines/job.machine.js';
import { planMachine } from '../../machines/plan.machine.js';
import { toDot, toMermaid } from '../observe/diagram.js';
import { machineToMermaid } from '../observe/machine-diagram.js';
import { FileStore } from '../persistence/file-store.js';
import { EXIT, out, planOrExit } from './output.js';
import { loadPlanFile } from './plan-file.js';
import { count } from './plural.js';
import { describeStatus, type StatusOptions } from './status-report.js';

/** `status`, `validate` and `graph`: commands that read and print, and change nothing. */

export async function status(stateDir: string, options: StatusOptions = {}) {
  const stored = await new FileStore(stateDir).load();
  out(describeStatus(stored, options));
  for (const warning of stored.warnings) process.stderr.write(`warning: ${warning}\n`);
  return EXIT.completed;
}

export async function validate(file: string, options: { allowOutsideCwd?: boolean }) {
  // Secrets taken from the environment are checked in form only: validating needs no secret.
  const loaded = await loadPlanFile(file, {
    allowOutsideCwd: options.allowOutsideCwd === true,
    environment: null,
  });
  planOrExit(loaded);
  out(`${file}: valid plan "${loaded.plan.id}" with ${count(loaded.plan.jobs.length, 'job')}\n`);
  return EXIT.completed;
}

export async function graph(
  file: string | undefined,
  options: { format: 'mermaid' | 'dot'; machine?: string },
) {
  if (options.machine) {
    const machine = { plan: planMachine, job: jobMachine, integration: integrationMachine }[
      options.machine
    ]!;
    out(machineToMermaid(machine));
    return EXIT.completed;
  }
  if (!file) {
    process.stderr.write('graph needs a plan file, or --machine plan|job|integration\n');
    return EXIT.usage;
  }
  const loaded = await loadPlanFile(file, {
    allowOutsideCwd: true,
    environment: null,
    checkFolders: false,
  });
  planOrExit(loaded);
  out((options.format === 'dot' ? toDot : toMermaid)(loaded.plan));
  return EXIT.completed;
}
