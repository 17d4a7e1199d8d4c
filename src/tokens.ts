/**
 * Identifiers and the shapes of the coursekit REST API (schema/openapi.yaml).
 *
 * Types and constants only: importing this module has no side effects.
 */

import { Token } from '@lumino/coreutils';

import type { ModulesModel } from './modules/model';

/** The plugin id; its settings schema is schema/plugins/plugin.json. */
export const PLUGIN_ID = 'coursekit:plugin';

/** The launcher cards and the Modules panel: plugins of their own, so each can be disabled. */
export const LAUNCHER_PLUGIN_ID = 'coursekit:launcher';
export const PANEL_PLUGIN_ID = 'coursekit:modules-panel';
export const ASSIGNMENTS_PLUGIN_ID = 'coursekit:assignments';

/** The student's modules, provided by the core plugin to the launcher and the panel. */
export const ICourseModules = new Token<ModulesModel>(
  'coursekit:ICourseModules',
  "The student's course modules, their workspaces and their seeding state."
);

/** The id of the Modules side panel. */
export const PANEL_ID = 'coursekit-modules';

/** The launcher category of the module cards, ranked before "Notebook". */
export const LAUNCHER_CATEGORY = 'Course';

/** The translation domain. */
export const TRANSLATION_DOMAIN = 'coursekit';

/** Command ids; the module commands take `{id: "CODE-PRESENTATION"}`. */
export namespace CommandIDs {
  export const openModule = 'coursekit:open-module';
  export const showModules = 'coursekit:show-modules';
  export const reseed = 'coursekit:reseed';
  export const resetModule = 'coursekit:reset-module';
  export const restoreDeleted = 'coursekit:restore-deleted';
  export const openModuleFile = 'coursekit:open-module-file';
}

/** The arguments of the module commands. */
export interface IModuleCommandArgs {
  /** The module, as CODE-PRESENTATION. */
  id: string;
}

/** An error the server reports: a stable code and a message for a person. */
export interface IErrorBody {
  code: string;
  message: string;
}

/** Where a running seed is. */
export interface ISeedProgress {
  module_id?: string;
  phase: string;
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  current?: string;
}

/** A file moved out of the way, both paths relative to the module folder. */
export interface IMoved {
  path: string;
  moved_to: string;
}

/** A file both the course and the student changed: the course's copy sits beside it. */
export interface IConflict {
  path: string;
  course_copy: string;
  reason?: string;
}

/** The outcome of one seed; every path is relative to the module folder. */
export interface ISeedReport {
  module_id: string;
  started_at?: number;
  finished_at?: number;
  noop: boolean;
  added: string[];
  updated: string[];
  merged: string[];
  kept: string[];
  conflicts: IConflict[];
  removed: IMoved[];
  deleted_by_student: string[];
  init?: { name: string; status: string; message: string }[];
  errors: { path: string; code: string; message: string }[];
}

/** The states a module's seeding goes through. */
export type SeedStateName = 'idle' | 'queued' | 'running' | 'done' | 'failed';

/** A module's seeding: progress while it runs, then the last report. */
export interface ISeedState {
  state: SeedStateName;
  progress: ISeedProgress | null;
  report: ISeedReport | null;
  error?: IErrorBody | null;
  updated_at?: number;
}

/** One module the student takes and its workspace folder. */
export interface IModule {
  id: string;
  code: string;
  presentation: string;
  title: string;
  description?: string;
  /** The module folder, relative to the server root (the home). */
  path: string;
  status: 'pending' | 'ready' | 'error';
  error: IErrorBody | null;
  seed?: ISeedState | null;
  /** Course shared folders linked into the module folder (absent from older servers). */
  shared?: ISharedFolder[];
}

/** A course shared folder: mounted by the platform, linked into the module folder. */
export interface ISharedFolder {
  name: string;
  title: string;
  /** The link, relative to the server root (the home). */
  path: string;
  /** Where the folder is mounted; null if its path names an unset variable. */
  target: string | null;
  /** unavailable: not mounted here; blocked: a file of the student's has the name. */
  status: 'ready' | 'unavailable' | 'blocked';
  /** Whether this server may write to it: staff's may, students' may not. */
  writable: boolean;
  /** Why it is not ready; empty when it is. */
  message: string;
}

/** A located mistake in a course manifest. */
export interface IManifestProblem {
  file: string;
  line: number | null;
  path: string;
  message: string;
  code: string;
}

/** GET coursekit/api/modules */
export interface IModuleList {
  modules: IModule[];
  problems: IManifestProblem[];
  manifests: string[];
}

/** POST coursekit/api/modules/{id}/restore */
export interface IRestoreResult {
  restored: string[];
  backups: IMoved[];
}

/** POST coursekit/api/modules/{id}/reset */
export interface IResetResult {
  /** The backup folder, relative to the home. */
  backup: string;
  seed: ISeedState;
}

/** The branding plugin's id. */
export const BRANDING_PLUGIN_ID = 'coursekit:branding';

/** The branding plugin's commands (Help menu entries come from its settings schema). */
export namespace BrandingCommandIDs {
  export const openHelpLink = 'coursekit:open-help-link';
  export const about = 'coursekit:about';
}

/** A Help menu entry of the branding. */
export interface IHelpLink {
  label: string;
  url: string;
}

/** schema/branding.schema.json's branding, with logo, favicon and css as asset URLs. */
export interface IBrandingValues {
  name?: string;
  logo?: string;
  favicon?: string;
  title?: string;
  colors?: { accent?: string; accent_dark?: string };
  css?: string;
  help?: IHelpLink[];
  about?: string;
}

/** GET /coursekit/api/branding. */
export interface IBranding {
  module: string | null;
  app_name: string | null;
  branding: IBrandingValues;
  /** Plugin id -> the setting keys students cannot change. */
  locked: Record<string, string[]>;
  /** Plugin id -> the course's values of the locked plugins. */
  settings: Record<string, Record<string, unknown>>;
}

/** Student care (src/care/): plugin ids and commands. */
export const DOWNLOAD_PLUGIN_ID = 'coursekit:download';
export namespace CARE_COMMANDS {
  export const downloadModule = 'coursekit:download-module';
}

export const IDLE_PLUGIN_ID = 'coursekit:idle-warning';

/** Why and when the previous server stopped. */
export interface IPreviousStop {
  reason: 'idle' | 'stopped';
  stopped_at: string;
  last_activity: string;
  idle_seconds: number;
  timeout: number;
}

/** GET coursekit/api/idle */
export interface IIdleStatus {
  culling: boolean;
  timeout: number;
  every?: number;
  warn_before: number;
  last_activity?: string;
  now?: string;
  idle_seconds?: number;
  seconds_until_cull?: number;
  warn?: boolean;
  previous_stop: IPreviousStop | null;
}

export const DISK_USAGE_PLUGIN_ID = 'coursekit:disk-usage';

/** GET coursekit/api/usage/disk */
export interface IDiskUsage {
  path: string;
  filesystem: string | null;
  used: number;
  quota: number | null;
  source: 'configured' | 'filesystem' | null;
  reason?: string;
}

export const WELCOME_PLUGIN_ID = 'coursekit:welcome-back';

/** One module in the welcome-back summary. */
export interface IWelcomeModule {
  id: string;
  title: string;
  path: string;
  updates: {
    finished_at: string;
    added: string[];
    updated: string[];
    merged: string[];
    conflicts: string[];
    counts: {
      added: number;
      updated: number;
      merged: number;
      conflicts: number;
    };
  } | null;
  announcements: { date: string; title: string; text: string }[];
  /** Added by other features (feedback ready, due soon). */
  items: { kind: string; text: string; path?: string; date?: string }[];
  problem: string | null;
  has_news: boolean;
}

/** GET coursekit/api/welcome */
export interface IWelcome {
  show: boolean;
  last_visit: string | null;
  now: string;
  modules: IWelcomeModule[];
}

/** Where a student is with one nbgrader assignment. */
export type AssignmentStatus =
  'released' | 'fetched' | 'submitted' | 'feedback-ready';

/** One submission as the exchange keeps it. */
export interface ISubmissionSummary {
  submission_id: string;
  submitted_at: string;
  sha256: string;
  files: string[];
  feedback: boolean;
}

/** One released assignment of a module (GET modules/{id}/assignments). */
export interface IAssignment {
  id: string;
  due: string | null;
  released_at: string;
  status: AssignmentStatus;
  /** The assignment folder, relative to the home. */
  path: string;
  files: string[];
  missing_files: string[];
  submitted_at: string | null;
  submissions: ISubmissionSummary[];
  feedback_fetched: boolean;
}

export interface IAssignmentList {
  module: string;
  assignments: IAssignment[];
}

/** POST .../assignments/{a}/fetch */
export interface IFetchResult {
  path: string;
  fetched: string[];
  kept: string[];
}

/** POST .../assignments/{a}/validate */
export interface IValidateResult {
  valid: boolean;
  notebooks: {
    path: string;
    valid: boolean;
    failed: { source: string; error: string }[];
    changed: string[];
    type_changed: string[];
  }[];
}

/** POST .../assignments/{a}/submit: the proof of submission. */
export interface ISubmissionReceipt {
  module: string;
  assignment: string;
  student: string;
  submission_id: string;
  submitted_at: string;
  archive_sha256: string;
  archive_size: number;
  files: { path: string; sha256: string }[];
  /** The receipt's copy in the module folder, relative to the home. */
  receipt_path: string;
}

/** POST .../assignments/{a}/feedback */
export interface IFeedbackResult {
  feedback: { submission_id: string; submitted_at: string; html: string[] }[];
}
