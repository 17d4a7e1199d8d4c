/**
 * The student's modules as the server describes them, kept current while seeds run.
 */
import { PathExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import * as api from '../api';
import {
  IManifestProblem,
  IModule,
  IResetResult,
  IRestoreResult,
  ISeedState
} from '../tokens';

/** Seed states during which the server has work under way. */
const ACTIVE_STATES = new Set(['queued', 'running']);

export function isSeedActive(seed: ISeedState | null | undefined): boolean {
  return !!seed && ACTIVE_STATES.has(seed.state);
}

/**
 * The module whose folder holds `path` (contents-API form), or undefined. Used to act
 * on "the current module": the one the file browser is in.
 */
export function moduleAt(
  modules: readonly IModule[],
  path: string
): IModule | undefined {
  const normalized = PathExt.normalize(path);
  return modules.find(
    module =>
      normalized === module.path || normalized.startsWith(`${module.path}/`)
  );
}

/**
 * The module to open at startup: the only ready one, unless the page was opened on a
 * path of its own (`/lab/tree/...`) or the student takes several modules.
 */
export function startupModule(
  modules: readonly IModule[],
  openedTreePath: string | null
): IModule | undefined {
  if (openedTreePath) {
    return undefined;
  }
  const ready = modules.filter(module => module.status === 'ready');
  return ready.length === 1 ? ready[0] : undefined;
}

/**
 * A section another feature adds to each module's row in the Modules panel (through
 * ICourseModules), e.g. the module's nbgrader assignments.
 */
export interface IModuleRowSection {
  /** Unique among sections; also the section's `data-section` attribute. */
  id: string;
  /** Lower ranks come first; default 100. */
  rank?: number;
  /** The section for a ready module, or null to show nothing for it. */
  render(module: IModule): JSX.Element | null;
}

export namespace ModulesModel {
  export interface IOptions {
    serverSettings?: ServerConnection.ISettings;
    /** How often a running seed is polled, in ms. */
    pollInterval?: number;
  }
}

export class ModulesModel implements IDisposable {
  constructor(options: ModulesModel.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._pollInterval = options.pollInterval ?? 500;
  }

  readonly serverSettings: ServerConnection.ISettings;

  /** Emitted whenever anything the panel shows changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted after each reading of the module list (refresh(), the panel's Refresh
   * button): row sections that keep their own data, such as the assignments, read it
   * again then.
   */
  get refreshed(): ISignal<this, void> {
    return this._refreshed;
  }

  get modules(): readonly IModule[] {
    return this._modules;
  }

  get readyModules(): readonly IModule[] {
    return this._modules.filter(module => module.status === 'ready');
  }

  get problems(): readonly IManifestProblem[] {
    return this._problems;
  }

  /** Why the module list could not be read, or null. */
  get loadError(): string | null {
    return this._loadError;
  }

  /** Whether the list has been read (successfully or not) at least once. */
  get loaded(): boolean {
    return this._loaded;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The sections other features add to each module's row, in rank order. */
  get rowSections(): readonly IModuleRowSection[] {
    return this._rowSections;
  }

  /** Add a section to every module's row; dispose the result to remove it. */
  addRowSection(section: IModuleRowSection): IDisposable {
    this._rowSections = [...this._rowSections, section].sort(
      (a, b) => (a.rank ?? 100) - (b.rank ?? 100)
    );
    this._emit();
    return new DisposableDelegate(() => {
      this._rowSections = this._rowSections.filter(s => s !== section);
      this._emit();
    });
  }

  get(id: string): IModule | undefined {
    return this._modules.find(module => module.id === id);
  }

  /** The module whose folder holds `path`, if any. */
  moduleAt(path: string): IModule | undefined {
    return moduleAt(this._modules, path);
  }

  /** Whether the server offers seeding for this module (an older one does not). */
  canSeed(id: string): boolean {
    const module = this.get(id);
    return !!module && module.status === 'ready' && module.seed !== undefined;
  }

  /** A message about the last seeding action that failed, per module. */
  actionError(id: string): string | null {
    return this._actionErrors.get(id) ?? null;
  }

  /** Read the module list again; polls any seed that is under way. */
  async refresh(): Promise<void> {
    try {
      const answer = await api.getModules(this.serverSettings);
      this._modules = answer.modules ?? [];
      this._problems = answer.problems ?? [];
      this._loadError = null;
    } catch (error) {
      this._loadError = (error as Error).message;
    }
    this._loaded = true;
    for (const module of this._modules) {
      if (isSeedActive(module.seed)) {
        this._schedulePoll(module.id);
      }
    }
    this._emit();
    if (!this._isDisposed) {
      this._refreshed.emit();
    }
  }

  /** Start a reseed and follow its progress. */
  async startSeed(id: string): Promise<ISeedState> {
    const seed = await this._act(id, () =>
      api.startSeed(this.serverSettings, id)
    );
    this._setSeed(id, seed);
    return seed;
  }

  /** Put back course files; null means every course file the student deleted. */
  async restore(id: string, paths: string[] | null): Promise<IRestoreResult> {
    const result = await this._act(id, () =>
      api.restore(this.serverSettings, id, paths)
    );
    // The record of deleted files changed: the next report comes from the server.
    void this._pollOnce(id);
    return result;
  }

  /** Move the module folder to a backup and seed it fresh. */
  async reset(id: string): Promise<IResetResult> {
    this._setSeed(id, {
      ...(this.get(id)?.seed ?? { report: null }),
      state: 'running',
      progress: null
    });
    // The server answers once the reset is done; poll meanwhile to show progress.
    const result = await this._act(id, () =>
      api.reset(this.serverSettings, id)
    );
    this._setSeed(id, result.seed);
    return result;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const timer of this._timers.values()) {
      clearTimeout(timer);
    }
    this._timers.clear();
    Signal.clearData(this);
  }

  private async _act<T>(id: string, action: () => Promise<T>): Promise<T> {
    this._actionErrors.delete(id);
    try {
      return await action();
    } catch (error) {
      this._actionErrors.set(id, (error as Error).message);
      // The server may still have changed state (e.g. a reset that failed half way).
      void this._pollOnce(id);
      this._emit();
      throw error;
    }
  }

  private _setSeed(id: string, seed: ISeedState): void {
    const module = this.get(id);
    if (!module) {
      return;
    }
    this._modules = this._modules.map(m => (m.id === id ? { ...m, seed } : m));
    if (isSeedActive(seed)) {
      this._schedulePoll(id);
    }
    this._emit();
  }

  private _schedulePoll(id: string): void {
    if (this._isDisposed || this._timers.has(id)) {
      return;
    }
    const timer = setTimeout(() => {
      this._timers.delete(id);
      void this._pollOnce(id);
    }, this._pollInterval);
    this._timers.set(id, timer);
  }

  private async _pollOnce(id: string): Promise<void> {
    if (this._isDisposed || !this.canSeed(id)) {
      return;
    }
    try {
      this._setSeed(id, await api.getSeed(this.serverSettings, id));
    } catch (error) {
      if (error instanceof api.APIError && error.status === 404) {
        return; // the module or the route went away: stop following it
      }
      // A network blip while the server works: try again at the next tick.
      this._schedulePoll(id);
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _modules: IModule[] = [];
  private _problems: IManifestProblem[] = [];
  private _loadError: string | null = null;
  private _loaded = false;
  private _rowSections: IModuleRowSection[] = [];
  private _isDisposed = false;
  private _pollInterval: number;
  private _timers = new Map<string, ReturnType<typeof setTimeout>>();
  private _actionErrors = new Map<string, string>();
  private _changed = new Signal<this, void>(this);
  private _refreshed = new Signal<this, void>(this);
}
