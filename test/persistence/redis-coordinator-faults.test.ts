import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchestrator, planKeys, RedisStore, type StampedRecord } from '../../src/index.js';
import { keyGone } from '../support/redis-keyspace.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const child = join(import.meta.dirname, 'support', 'redis-child.ts');
const JOBS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const LEASE_MS = 1000;
let server: RedisServer;
let admin: Redis;
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  // A child left behind by a failed test is stopped here, never left running.
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    }
  }
  admin?.disconnect();
  await server?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Coordinator {
  process: ChildProcess;
  lines: string[];
  /** Resolves with the first line that `test` accepts. */
  line(test: (line: string) => boolean): Promise<string>;
  exited: Promise<string | null>;
}

function coordinator(mode: 'run' | 'resume', planId: string, markerDir: string): Coordinator {
  const started = spawn(
    process.execPath,
    ['--import', 'tsx', child, mode, server.url, planId, markerDir, String(LEASE_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(started);
  const lines: string[] = [];
  const waiting: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  createInterface({ input: started.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const wait of [...waiting]) {
      if (wait.test(line)) {
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve(line);
      }
    }
  });
  const exited = new Promise<string | null>((resolve) =>
    started.on('close', (_code, signal) => resolve(signal)),
  );
  return {
    process: started,
    lines,
    exited,
    line: (test) =>
      new Promise((resolve) => {
        const found = lines.find(test);
        if (found !== undefined) resolve(found);
        else waiting.push({ test, resolve });
      }),
  };
}

/** Waits for the real expiry of a plan's lease, as Redis tells it. */
const leaseExpired = (planId: string) => keyGone(server.url, planKeys(planId).lease);

async function journalOf(planId: string): Promise<StampedRecord[]> {
  const lines = await admin.lrange(planKeys(planId).journal, 1, -1);
  return lines.map((line) => JSON.parse(line) as StampedRecord);
}

/** A small deterministic generator, so a failing run can be repeated. */
function* seeded(seed: number) {
  let state = seed;
  for (;;) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    yield state;
  }
}

describe('a Redis-kept plan whose coordinator is killed with SIGKILL', () => {
  it('is resumed by another process once the lease expires; each job runs at least once, and at most once more per kill', async () => {
    const planId = 'redis-sigkill';
    const markerDir = await mkdtemp(join(tmpdir(), 'redis-sigkill-'));
    dirs.push(markerDir);
    const random = seeded(20261202);
    let kills = 0;
    let mode: 'run' | 'resume' = 'run';
    let last = '';
    for (let round = 0; round < 6; round++) {
      const killAfter = round < 4 ? 1 + (random.next().value! % 4) : null;
      const run = coordinator(mode, planId, markerDir);
      mode = 'resume';
      if (killAfter !== null) {
        let starts = 0;
        const killed = await Promise.race([
          run
            .line((line) => line.startsWith('started ') && ++starts === killAfter)
            .then(() => true),
          run.exited.then(() => false),
        ]);
        if (killed) run.process.kill('SIGKILL');
      }
      const signal = await run.exited;
      last = run.lines.at(-1) ?? '';
      if (signal !== 'SIGKILL') break;
      kills++;
      // The dead coordinator's lease is still live: a resume is refused until it runs out.
      await leaseExpired(planId);
    }
    expect(last).toBe('settled completed');
    expect(kills).toBeGreaterThanOrEqual(3);

    for (const job of JOBS) {
      const runs = (await readFile(join(markerDir, `${job}.runs`), 'utf8')).trim().split('\n');
      const done = (await readFile(join(markerDir, `${job}.done`), 'utf8')).trim().split('\n');
      expect(done.length, `${job} finished`).toBeGreaterThanOrEqual(1);
      expect(runs.length, `${job} ran at most once more per kill`).toBeLessThanOrEqual(1 + kills);
      expect(new Set(runs).size, `${job} got a new attempt id each time`).toBe(runs.length);
    }
    const records = await journalOf(planId);
    expect(records.map((record) => record.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records.at(-1)?.type).toBe('plan-completed');
    expect(await admin.hget(planKeys(planId).summary, 'status')).toBe('completed');
  }, 60_000);
});

describe('a second process opening a Redis-kept plan whose coordinator lives', () => {
  it('is refused at once, naming the owner and when its lease expires; the first goes on undisturbed', async () => {
    const planId = 'redis-second-owner';
    const markerDir = await mkdtemp(join(tmpdir(), 'redis-second-'));
    dirs.push(markerDir);
    const store = new RedisStore({ connection: server.url, planId, leaseMs: LEASE_MS });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running!: () => void;
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const jobs = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => ({
      id,
      run: async () => {
        running();
        await gate;
      },
    }));
    const orchestrator = createOrchestrator({ id: planId, jobs }, { store });
    orchestrator.start();
    await started;

    const second = coordinator('resume', planId, markerDir);
    expect(await second.exited).toBeNull();
    expect(second.lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^stopped STATE_LOCKED Plan "${planId}" in Redis at ${server.url} is in use by process ${process.pid} on host \\S+ \\(owner since \\S+\\); its lease expires at \\S+ \\(in \\d\\.\\d s\\)`,
        ),
      ),
    ]);
    release();
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    await store.close();
    expect((await journalOf(planId)).at(-1)?.type).toBe('plan-completed');
  }, 30_000);
});

describe('a coordinator stopped (SIGSTOP) past its lease while another took its plan over', () => {
  it('writes not a single record once it runs again, and stops with LEASE_LOST', async () => {
    const planId = 'redis-zombie';
    const markerDir = await mkdtemp(join(tmpdir(), 'redis-zombie-'));
    dirs.push(markerDir);
    const zombie = coordinator('run', planId, markerDir);
    const zombieStart = await zombie.line((line) => line.startsWith('started '));
    zombie.process.kill('SIGSTOP');
    await leaseExpired(planId);
    const takenAt = (await journalOf(planId)).length;

    const taker = coordinator('resume', planId, markerDir);
    await taker.line((line) => line.startsWith('started '));
    zombie.process.kill('SIGCONT');
    expect(await zombie.line((line) => line.startsWith('stopped '))).toMatch(
      /^stopped LEASE_LOST .*was paused or cut off .*took it over/,
    );
    expect(await taker.line((line) => line.startsWith('settled '))).toBe('settled completed');
    await zombie.exited;

    // Every attempt the zombie started: after the takeover, the journal names them only as
    // interrupted by the new coordinator, never with an outcome the zombie recorded.
    const zombieAttempts = new Set(
      zombie.lines.filter((line) => line.startsWith('started ')).map((line) => line.slice(8)),
    );
    expect(zombieAttempts).toContain(zombieStart.slice(8));
    const after = (await journalOf(planId)).slice(takenAt);
    expect(after[0]).toMatchObject({ type: 'plan-restored' });
    const fromZombie = after.filter(
      (record) =>
        zombieAttempts.has((record as { attemptId?: string }).attemptId ?? '') &&
        record.type !== 'attempt-interrupted',
    );
    expect(fromZombie).toEqual([]);
    const records = await journalOf(planId);
    expect(records.map((record) => record.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records.at(-1)?.type).toBe('plan-completed');
    const reader = new RedisStore({ connection: server.url, planId });
    const loaded = await reader.load();
    await reader.close();
    expect(loaded.records.length).toBe(records.length);
  }, 30_000);
});
