import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileStore,
  MemoryStore,
  PersistenceError,
  RestoreError,
  UnsafeStateFileError,
} from '../../src/index.js';
import { clearSocketPath, writePrivateFile } from '../../src/persistence/private-file.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

let dir: string;
let state: string;
let victim: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'state-files-'));
  state = join(dir, 'state');
  await mkdir(state);
  victim = join(dir, 'victim.txt');
  await writeFile(victim, 'precious');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const plan = { id: 'p', jobs: [{ id: 'A' }] };

describe('a symbolic link planted where a state file belongs', () => {
  it('at journal.jsonl: the plan pauses at persistence naming the link, and its target is unchanged', async () => {
    const journal = join(state, 'journal.jsonl');
    await symlink(victim, journal);
    const store = new FileStore(state);
    const kit = createTestOrchestrator(plan, { store });
    await kit.start();
    const error = await store.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistenceError);
    expect((error as Error).message).toBe(
      `Could not write plan state to ${journal}: Refusing to use ${journal}: a symbolic link is there; state files are never written through links (remove it)`,
    );
    await kit.flush();
    expect(kit.view().checkpoint?.name).toBe('persistence');
    expect(await readFile(victim, 'utf8')).toBe('precious');
    await store.relinquish();
  });

  it('at journal.jsonl of a plan to resume: a RestoreError names the link', async () => {
    const journal = join(state, 'journal.jsonl');
    await symlink(victim, journal);
    const error = await new FileStore(state).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toContain(`Refusing to use ${journal}: a symbolic link`);
  });

  it('at snapshot.json.tmp: the snapshot is refused naming the link, and its target is unchanged', async () => {
    const memory = new MemoryStore();
    const kit = createTestOrchestrator(
      { id: 'p', jobs: [{ id: 'A' }, { id: 'B' }] },
      { store: memory, snapshotEvery: 2 },
    );
    await kit.start();
    await kit.complete('A');
    const snapshot = JSON.parse(memory.snapshot!);
    const temporary = join(state, 'snapshot.json.tmp');
    await symlink(victim, temporary);
    const store = new FileStore(state);
    const error = await store.writeSnapshot(snapshot).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PERSISTENCE_FAILED', path: temporary });
    expect((error as Error).message).toContain('a symbolic link is there');
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await lstat(temporary)).isSymbolicLink()).toBe(true);
  });

  it('at snapshot.json: the link itself is replaced, never its target', async () => {
    const memory = new MemoryStore();
    const kit = createTestOrchestrator(
      { id: 'p', jobs: [{ id: 'A' }, { id: 'B' }] },
      { store: memory, snapshotEvery: 2 },
    );
    await kit.start();
    await kit.complete('A');
    await symlink(victim, join(state, 'snapshot.json'));
    await new FileStore(state).writeSnapshot(JSON.parse(memory.snapshot!));
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await lstat(join(state, 'snapshot.json'))).isFile()).toBe(true);
  });

  it('at owner.lock: taking the folder is refused naming the link, and its target is unchanged', async () => {
    const lock = join(state, 'owner.lock');
    await symlink(victim, lock);
    const error = await new FileStore(state).acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeStateFileError);
    expect((error as Error).message).toBe(
      `Refusing to use ${lock}: a symbolic link is there; state files are never written through links (remove it)`,
    );
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('as the state folder itself: refused, naming it', async () => {
    const linked = join(dir, 'linked-state');
    await symlink(state, linked);
    const error = await new FileStore(linked).acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeStateFileError);
    expect((error as Error).message).toBe(
      `Refusing to use ${linked}: the state folder is a symbolic link; give the folder it points to instead`,
    );
  });

  it('at a file written whole (plan.source, control.token): refused, and its target is unchanged', async () => {
    const source = join(state, 'plan.source');
    await symlink(victim, source);
    await expect(writePrivateFile(source, 'new')).rejects.toThrow(
      `Refusing to use ${source}: a symbolic link is there`,
    );
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });
});

describe('the place of the control socket', () => {
  it('is cleared of an old socket, and a link or a file there is refused, its target unchanged', async () => {
    const socket = join(state, 'control.sock');
    await clearSocketPath(socket); // nothing there: fine
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    await clearSocketPath(socket);
    await expect(lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
    server.close();
    await symlink(victim, socket);
    await expect(clearSocketPath(socket)).rejects.toThrow(
      `Refusing to use ${socket}: a symbolic link is there`,
    );
    await rm(socket);
    await writeFile(socket, 'not a socket');
    await expect(clearSocketPath(socket)).rejects.toThrow(
      `Refusing to use ${socket}: it is not a socket`,
    );
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });
});

describe('state file modes', () => {
  it('are 0700 for the folder and 0600 for every file, even with a umask of 000', async () => {
    const before = process.umask(0);
    try {
      const fresh = join(dir, 'fresh');
      const memory = new MemoryStore();
      const reference = createTestOrchestrator(
        { id: 'p', jobs: [{ id: 'A' }, { id: 'B' }] },
        { store: memory, snapshotEvery: 2 },
      );
      await reference.start();
      await reference.complete('A');
      const store = new FileStore(fresh);
      store.begin(memory.header!);
      store.append(memory.records);
      await store.flush();
      await store.writeSnapshot(JSON.parse(memory.snapshot!));
      await writePrivateFile(join(fresh, 'plan.source'), 'id: p');
      expect((await stat(fresh)).mode & 0o777).toBe(0o700);
      for (const file of ['journal.jsonl', 'snapshot.json', 'owner.lock', 'plan.source']) {
        expect((await stat(join(fresh, file))).mode & 0o777, file).toBe(0o600);
      }
      await store.relinquish();
    } finally {
      process.umask(before);
    }
  });
});
