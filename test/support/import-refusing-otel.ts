import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/**
 * Imports `specifier` in a fresh Node process whose loader refuses every `@opentelemetry/*`
 * package, and says how it went: `loaded` with what the module exports, or the refusal.
 */
export async function importRefusingOtel(
  specifier: string,
  { tsx = false }: { tsx?: boolean } = {},
): Promise<{ loaded: true; exports: string[] } | { loaded: false; error: string }> {
  const loaders = [
    ...(tsx ? ['--import', 'tsx'] : []),
    '--import',
    './test/support/refuse-otel.mjs',
  ];
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`;
  try {
    const { stdout } = await run(
      process.execPath,
      [...loaders, '--input-type=module', '--eval', script],
      { cwd: root },
    );
    return { loaded: true, exports: JSON.parse(stdout) as string[] };
  } catch (error) {
    return { loaded: false, error: String((error as { stderr?: string }).stderr) };
  }
}
