/**
 * The reference JupyterHub, with its nbgrader exchange service, for specs that click
 * through the real thing: ../hub_fixture.py starts it and does the instructor's side.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

/** How long the hub may take to start and the instructor to release the assignment. */
export const HUB_READY_TIMEOUT = 150_000;
/** collect, autograde (which runs the notebooks), generate and release feedback. */
export const GRADING_TIMEOUT = 150_000;
const STOP_TIMEOUT = 40_000;

const FIXTURE = path.resolve(__dirname, '..', 'hub_fixture.py');

interface IEvent {
  event: string;
  [key: string]: unknown;
}

export interface IReferenceHub {
  /** Where the hub listens, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The demo logins' shared password. */
  password: string;
  /** The hub's state folder: database, log (hub.log) and homes (homes/<user>). */
  state: string;
  module: string;
  assignment: string;
  /** The due date the instructor gave, ISO 8601. */
  due: string;
  /** The instructor collects, autogrades and returns feedback; answers the sha256 of
   * each file collected from student1. */
  returnFeedback(): Promise<Record<string, string>>;
  /** Stop the hub and everything under it; resolves once the launcher has exited. */
  stop(): Promise<void>;
}

/** Start the launcher and wait until the assignment is released. */
export async function startReferenceHub(): Promise<IReferenceHub> {
  const python = process.env.PYTHON ?? 'python3';
  // stdin stays open while the hub is wanted: if this worker dies, it closes and the
  // launcher stops the hub. stderr (the launcher's and nbgrader's complaints) is shown.
  const child = spawn(python, ['-u', FIXTURE], {
    stdio: ['pipe', 'pipe', 'inherit']
  });
  const events = new EventQueue(child);
  try {
    const ready = await events.next('ready', HUB_READY_TIMEOUT);
    return {
      url: ready.url as string,
      password: ready.password as string,
      state: ready.state as string,
      module: ready.module as string,
      assignment: ready.assignment as string,
      due: ready.due as string,
      async returnFeedback() {
        child.stdin!.write('return-feedback\n');
        const done = await events.next('feedback-returned', GRADING_TIMEOUT);
        return done.collected as Record<string, string>;
      },
      stop: () => stopLauncher(child)
    };
  } catch (error) {
    await stopLauncher(child);
    throw error;
  }
}

async function stopLauncher(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve())
  );
  child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGTERM'), STOP_TIMEOUT);
  await exited;
  clearTimeout(timer);
}

/** The launcher's JSON lines, taken in order; an "error" line or its exit rejects. */
class EventQueue {
  constructor(child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', line => {
      let event: IEvent;
      try {
        event = JSON.parse(line);
      } catch {
        return; // not one of ours
      }
      this._push(event);
    });
    child.on('exit', (code, signal) =>
      this._push({
        event: 'exit',
        message: `the hub launcher exited (${code ?? signal}) before answering`
      })
    );
  }

  next(expected: string, timeout: number): Promise<IEvent> {
    const take = (event: IEvent): IEvent => {
      if (event.event !== expected) {
        throw new Error(`hub launcher: ${event.message ?? event.event}`);
      }
      return event;
    };
    const queued = this._events.shift();
    if (queued) {
      return Promise.resolve().then(() => take(queued));
    }
    return new Promise<IEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this._waiting = null;
        reject(
          new Error(`hub launcher: no "${expected}" within ${timeout} ms`)
        );
      }, timeout);
      this._waiting = event => {
        clearTimeout(timer);
        this._waiting = null;
        try {
          resolve(take(event));
        } catch (error) {
          reject(error);
        }
      };
    });
  }

  private _push(event: IEvent): void {
    if (this._waiting) {
      this._waiting(event);
    } else {
      this._events.push(event);
    }
  }

  private _events: IEvent[] = [];
  private _waiting: ((event: IEvent) => void) | null = null;
}
