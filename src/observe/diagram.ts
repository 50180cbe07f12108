import type { JobStatus } from '../../machines/plan/context.js';

/** The graph of a plan, for diagrams: jobs, their dependencies, and statuses when known. */
export interface PlanGraph {
  id: string;
  jobs: ReadonlyArray<{ id: string; dependsOn?: readonly string[]; status?: JobStatus }>;
}

const STATUS_STYLES: Partial<Record<JobStatus, string>> = {
  running: 'fill:#dbeafe,stroke:#2563eb',
  retrying: 'fill:#fef3c7,stroke:#d97706',
  succeeded: 'fill:#dcfce7,stroke:#16a34a',
  failed: 'fill:#fee2e2,stroke:#dc2626',
  blocked: 'fill:#f3f4f6,stroke:#6b7280',
  skipped: 'fill:#f3f4f6,stroke:#9ca3af',
  canceled: 'fill:#f3f4f6,stroke:#9ca3af',
};

/** Mermaid node ids allow letters, digits and underscores only. */
const nodeId = (index: number) => `j${index}`;

/** A Mermaid flowchart: an edge from each dependency to its dependent, statuses as classes. */
export function toMermaid(graph: PlanGraph): string {
  const index = new Map(graph.jobs.map((job, i) => [job.id, i]));
  const lines = ['flowchart LR'];
  graph.jobs.forEach((job, i) => {
    lines.push(`  ${nodeId(i)}["${job.id}"]${job.status ? `:::${job.status}` : ''}`);
  });
  graph.jobs.forEach((job, i) => {
    for (const dep of job.dependsOn ?? [])
      lines.push(`  ${nodeId(index.get(dep)!)} --> ${nodeId(i)}`);
  });
  const used = new Set(graph.jobs.map((job) => job.status).filter(Boolean));
  for (const [status, style] of Object.entries(STATUS_STYLES)) {
    if (used.has(status as JobStatus)) lines.push(`  classDef ${status} ${style}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A Graphviz DOT digraph of the same graph. */
export function toDot(graph: PlanGraph): string {
  const quote = (text: string) => JSON.stringify(text);
  const lines = [
    `digraph ${quote(graph.id)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded];',
  ];
  for (const job of graph.jobs) {
    lines.push(
      `  ${quote(job.id)}${job.status ? ` [class=${quote(job.status)}, tooltip=${quote(job.status)}]` : ''};`,
    );
  }
  for (const job of graph.jobs) {
    for (const dep of job.dependsOn ?? []) lines.push(`  ${quote(dep)} -> ${quote(job.id)};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
