import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The README's YAML example that declares `id: <planId>`, as written there. */
export async function readmeYaml(planId: string): Promise<string> {
  const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const block = blocks.find((text) => text.startsWith(`id: ${planId}\n`));
  if (!block) throw new Error(`README.md has no YAML example with id: ${planId}`);
  return block;
}
