import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Resolves once the file at `path` holds `text` (checked on every change of its folder). */
export function fileHolds(path: string, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = async () => {
      const content = await readFile(path, 'utf8').catch(() => '');
      if (!content.includes(text)) return;
      watcher.close();
      resolve();
    };
    const watcher = watch(dirname(path), () => void check());
    void check();
  });
}
