import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, MemoryStore } from '../../src/index.js';
import { type StoreHarness, storeConformance } from './store-conformance.js';

storeConformance('MemoryStore', async (): Promise<StoreHarness> => {
  // The object is the storage: every handle is the same store.
  const store = new MemoryStore();
  let whole: typeof store.records | null = null;
  return {
    open: () => store,
    tears: false,
    async cut(records) {
      whole ??= [...store.records];
      store.records.splice(0, store.records.length, ...whole.slice(0, records));
    },
    async cleanup() {},
  };
});

storeConformance('FileStore', async (): Promise<StoreHarness> => {
  const dir = await mkdtemp(join(tmpdir(), 'store-conformance-'));
  const state = join(dir, 'state');
  let whole: string[] | null = null;
  return {
    open: () => new FileStore(state),
    tears: true,
    async cut(records, torn) {
      const path = join(state, 'journal.jsonl');
      whole ??= (await readFile(path, 'utf8')).split('\n').slice(0, -1);
      const kept = whole.slice(0, 1 + records);
      const next = whole[1 + records];
      const tail = torn && next ? next.slice(0, Math.ceil(next.length / 2)) : '';
      await writeFile(path, `${kept.join('\n')}\n${tail}`);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
