import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { LAUNCHER_SCRIPT } from './launcher-script.js';

/**
 * Starts shell jobs through the job launcher (see `launcher-script.ts`): one small Node process,
 * started on the first job and kept until this process exits, that forks each job into a process
 * group of its own and reports its pid, output lines and exit. This process signals the groups
 * itself, by pid, so stopping a job never waits on the launcher.
 */

/** What a job's process is started with. */
export interface LaunchRequest {
  command: string;
  args: readonly string[];
  cwd: string;
  /** Added to this process's environment (as it was when the launcher started). */
  env: Record<string, string>;
  shell: boolean;
  /**
   * Time between SIGTERM and SIGKILL when the launcher stops the job because this process died
   * without stopping it.
   */
  killGraceMs: number;
}

/** Why a process could not be started, as `spawn` said it. */
export interface LaunchFailure {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
}

/** What a launched process does, told to whoever launched it. */
export interface LaunchEvents {
  line(stream: 'stdout' | 'stderr', text: string): void;
  /** It could not be started (then nothing else follows), or it failed while running. */
  failed(failure: LaunchFailure): void;
  /** It exited and its output pipes closed. */
  closed(exitCode: number | null, signal: NodeJS.Signals | null): void;
}

/** A job's process, from the moment it is asked for until it closed. */
export class LaunchedProcess {
  pid: number | undefined = undefined;
  done = false;
  /** A signal asked for before the pid was known: sent as soon as it is. */
  private pendingSignal: NodeJS.Signals | undefined = undefined;
  private whenDone: Promise<void> | undefined = undefined;
  private resolveDone: (() => void) | undefined = undefined;

  constructor(
    readonly id: number,
    readonly events: LaunchEvents,
  ) {}

  /** Sends `signal` to the process's whole group: now, or once it runs; nothing once it closed. */
  signal(signal: NodeJS.Signals): void {
    if (this.done) return;
    if (this.pid === undefined) {
      // SIGKILL is never downgraded by a later SIGTERM.
      if (this.pendingSignal !== 'SIGKILL') this.pendingSignal = signal;
      return;
    }
    signalGroup(this.pid, signal);
  }

  /** Resolves once the process closed (or could not be started). */
  closed(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.whenDone ??= new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    return this.whenDone;
  }

  started(pid: number): void {
    this.pid = pid;
    if (this.pendingSignal !== undefined) signalGroup(pid, this.pendingSignal);
  }

  finish(): void {
    this.done = true;
    this.resolveDone?.();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

type LauncherProcess = ChildProcessByStdio<Writable, Readable, null>;

/** The launcher process and the jobs it runs now. */
class Launcher {
  readonly launches = new Map<number, LaunchedProcess>();
  private readonly child: LauncherProcess;
  private nextId = 1;
  private received = '';
  private lost = false;
  private markReady!: () => void;
  /** Resolves once the launcher runs and can start jobs at once. */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(private readonly onLost: () => void) {
    this.child = spawn(process.execPath, ['-e', LAUNCHER_SCRIPT], {
      // Its own session: a Ctrl-C at the terminal reaches the command, which decides what stops.
      detached: true,
      // Its environment is the jobs' (sent below), not its own: NODE_OPTIONS and the like stay out.
      env: {},
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.receive(chunk));
    // A launcher that died is noticed by 'close'; a write to it meanwhile is lost with it.
    this.child.stdin.on('error', () => {});
    this.child.on('error', (error) => this.lose(`could not be started: ${error.message}`));
    this.child.on('close', (code, signal) =>
      this.lose(`ended unexpectedly (${signal ?? `exit code ${code}`})`),
    );
    // Kept referenced until it is ready, so that a caller waiting for it is not left behind.
    this.write({ env: process.env });
  }

  launch(request: LaunchRequest, events: LaunchEvents): LaunchedProcess {
    const launched = new LaunchedProcess(this.nextId++, events);
    if (this.launches.size === 0) this.busy();
    this.launches.set(launched.id, launched);
    this.write({ id: launched.id, ...request });
    return launched;
  }

  private write(message: object): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  private receive(chunk: string): void {
    this.received += chunk;
    let start = 0;
    for (
      let newline = this.received.indexOf('\n');
      newline >= 0;
      newline = this.received.indexOf('\n', start)
    ) {
      this.handle(JSON.parse(this.received.slice(start, newline)) as LauncherMessage);
      start = newline + 1;
    }
    this.received = this.received.slice(start);
  }

  private handle([id, kind, first, second]: LauncherMessage): void {
    if (kind === 'r') {
      if (this.launches.size === 0) this.idle();
      this.markReady();
      return;
    }
    const launched = this.launches.get(id);
    if (!launched) return;
    if (kind === 'o') launched.events.line('stdout', first as string);
    else if (kind === 'e') launched.events.line('stderr', first as string);
    else if (kind === 'p') launched.started(first as number);
    else if (kind === 'x') {
      this.end(launched);
      launched.events.closed(first as number | null, second as NodeJS.Signals | null);
    } else if (kind === 'f') {
      // Without a pid nothing was started, so nothing else will come.
      if (launched.pid === undefined) this.end(launched);
      launched.events.failed(first as LaunchFailure);
    }
  }

  private end(launched: LaunchedProcess): void {
    this.launches.delete(launched.id);
    launched.finish();
    if (this.launches.size === 0) this.idle();
  }

  /**
   * The launcher is gone: nothing more will be heard of its jobs, so their groups are killed (no
   * process of a job outlives the command) and each job fails saying why.
   */
  private lose(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.onLost();
    for (const launched of [...this.launches.values()]) {
      launched.signal('SIGKILL');
      this.end(launched);
      launched.events.failed({ message: `the job launcher process ${why}` });
    }
    this.markReady();
  }

  /** While no job runs, the launcher does not keep this process alive. */
  private idle(): void {
    this.child.unref();
    (this.child.stdout as Readable & { unref(): void }).unref();
    (this.child.stdin as Writable & { unref(): void }).unref();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as Readable & { ref(): void }).ref();
    (this.child.stdin as Writable & { ref(): void }).ref();
  }
}

type LauncherMessage = [number, 'r' | 'p' | 'o' | 'e' | 'f' | 'x', unknown?, unknown?];

let launcher: Launcher | null = null;

function running(): Launcher {
  launcher ??= new Launcher(() => {
    launcher = null;
  });
  return launcher;
}

/**
 * Starts the launcher ahead of the first job (it takes a Node start-up, tens of milliseconds, more
 * on a busy machine, which would otherwise delay the first job and count against its timeout);
 * resolves once it is ready. An idle launcher keeps no process alive.
 */
export function startLauncher(): Promise<void> {
  return running().ready;
}

/** Starts a job's process through the launcher (started now if it is not running). */
export function launch(request: LaunchRequest, events: LaunchEvents): LaunchedProcess {
  return running().launch(request, events);
}

/** The jobs' processes asked for and not closed yet. */
export function runningLaunches(): LaunchedProcess[] {
  return launcher ? [...launcher.launches.values()] : [];
}
