import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real redis-server for one test file: its own loopback port and data folder, started and
 * stopped by the test. Debian's `redis-server` package provides the binary (`.ci/run` installs
 * it when missing).
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Kills the server at once (SIGKILL): what it did not write to its append-only file is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (it reloads its append-only file). */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** `appendonly yes` + `appendfsync always`: every acknowledged write is on disk. Default true. */
  durable?: boolean;
  /** Extra `--name value` arguments. */
  args?: string[];
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
  const durable = options.durable ?? true;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    durable ? 'yes' : 'no',
    '--appendfsync',
    durable ? 'always' : 'everysec',
    ...(options.args ?? []),
  ];
  let child: ChildProcess | null = null;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          started.stdout!.off('data', onData);
          started.stdout!.resume();
          resolve();
        }
      };
      started.stdout!.on('data', onData);
      started.stderr!.resume();
      started.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error('redis-server is not installed: apt-get install -y redis-server')
            : error,
        ),
      );
      started.once('exit', (code) => {
        if (!output.includes('Ready to accept connections')) {
          reject(
            new Error(`redis-server exited with code ${code} before it was ready:\n${output}`),
          );
        }
      });
    });

  const ended = (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill(signal);
    });
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill: () => ended('SIGKILL'),
    restart: launch,
    async stop() {
      await ended('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
