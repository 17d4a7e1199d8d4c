/**
 * How a seed report and seed progress read in the Modules panel: plain functions of the
 * server's JSON, so they are tested without a DOM.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { formatBytes } from '../format';
import { ISeedProgress, ISeedReport } from '../tokens';

/** One line of a report the student can act on; `path` is relative to the module. */
export interface IReportItem {
  kind: 'conflict' | 'merged' | 'updated' | 'added' | 'removed' | 'error';
  path: string;
  /** A second file worth opening: the course copy of a conflict, a moved-aside file. */
  otherPath: string | null;
  detail: string;
}

type Category = 'updated' | 'added' | 'merged' | 'conflicts' | 'removed';

/** One count, said without a noun, or naming notebooks, or naming files. */
interface IPhraseSet {
  bare: (n: number) => string;
  notebooks: (n: number) => string;
  files: (n: number) => string;
}

function pathsOf(report: ISeedReport, category: Category): string[] {
  const items = (report[category] ?? []) as Array<string | { path: string }>;
  return items.map(item => (typeof item === 'string' ? item : item.path));
}

function isNotebook(path: string): boolean {
  return path.toLowerCase().endsWith('.ipynb');
}

/**
 * One line such as "3 notebooks updated, 1 merged, 1 conflict". The first count names
 * what it counts (notebooks when every one is a notebook, else files).
 */
export function summarizeReport(
  report: ISeedReport,
  trans: TranslationBundle
): string {
  if (report.noop) {
    return trans.__('Up to date');
  }
  // Whole sentences per case, so a translation can order noun and verb freely.
  const phrases: Record<Category, IPhraseSet> = {
    updated: {
      bare: n => trans._n('%1 updated', '%1 updated', n),
      notebooks: n =>
        trans._n('%1 notebook updated', '%1 notebooks updated', n),
      files: n => trans._n('%1 file updated', '%1 files updated', n)
    },
    added: {
      bare: n => trans._n('%1 added', '%1 added', n),
      notebooks: n => trans._n('%1 notebook added', '%1 notebooks added', n),
      files: n => trans._n('%1 file added', '%1 files added', n)
    },
    merged: {
      bare: n => trans._n('%1 merged', '%1 merged', n),
      notebooks: n => trans._n('%1 notebook merged', '%1 notebooks merged', n),
      files: n => trans._n('%1 file merged', '%1 files merged', n)
    },
    conflicts: {
      bare: n => trans._n('%1 conflict', '%1 conflicts', n),
      notebooks: n => trans._n('%1 conflict', '%1 conflicts', n),
      files: n => trans._n('%1 conflict', '%1 conflicts', n)
    },
    removed: {
      bare: n => trans._n('%1 moved aside', '%1 moved aside', n),
      notebooks: n =>
        trans._n('%1 notebook moved aside', '%1 notebooks moved aside', n),
      files: n => trans._n('%1 file moved aside', '%1 files moved aside', n)
    }
  };
  const parts: string[] = [];
  for (const category of Object.keys(phrases) as Category[]) {
    const paths = pathsOf(report, category);
    if (paths.length === 0) {
      continue;
    }
    const set = phrases[category];
    const phrase =
      parts.length > 0
        ? set.bare
        : paths.every(isNotebook)
          ? set.notebooks
          : set.files;
    parts.push(phrase(paths.length));
  }
  const deleted = report.deleted_by_student?.length ?? 0;
  if (deleted > 0) {
    parts.push(trans._n('%1 deleted by you', '%1 deleted by you', deleted));
  }
  const errors =
    (report.errors?.length ?? 0) +
    (report.init ?? []).filter(step => !isInitSuccess(step.status)).length;
  if (errors > 0) {
    parts.push(trans._n('%1 error', '%1 errors', errors));
  }
  return parts.length > 0 ? parts.join(', ') : trans.__('No changes');
}

function isInitSuccess(status: string): boolean {
  return ['ok', 'done', 'skipped', 'success'].includes(status);
}

/** The items worth a click, most urgent first: errors, conflicts, merges, updates, new files. */
export function reportItems(
  report: ISeedReport,
  trans: TranslationBundle
): IReportItem[] {
  const items: IReportItem[] = [];
  for (const error of report.errors ?? []) {
    items.push({
      kind: 'error',
      path: error.path,
      otherPath: null,
      detail: error.message
    });
  }
  for (const conflict of report.conflicts ?? []) {
    items.push({
      kind: 'conflict',
      path: conflict.path,
      otherPath: conflict.course_copy || null,
      detail:
        conflict.reason ?? trans.__('changed by you and by the course team')
    });
  }
  for (const path of report.merged ?? []) {
    items.push({
      kind: 'merged',
      path,
      otherPath: null,
      detail: trans.__('your changes and the course changes were merged')
    });
  }
  for (const path of report.updated ?? []) {
    items.push({
      kind: 'updated',
      path,
      otherPath: null,
      detail: trans.__('updated by the course team')
    });
  }
  for (const path of report.added ?? []) {
    items.push({
      kind: 'added',
      path,
      otherPath: null,
      detail: trans.__('new from the course team')
    });
  }
  for (const moved of report.removed ?? []) {
    items.push({
      kind: 'removed',
      path: moved.moved_to,
      otherPath: null,
      detail: trans.__('no longer in the course; was %1', moved.path)
    });
  }
  return items;
}

/** A fraction for the progress bar (null: indeterminate) and a line to show under it. */
export function describeProgress(
  progress: ISeedProgress | null | undefined,
  trans: TranslationBundle
): { fraction: number | null; label: string } {
  if (!progress) {
    return { fraction: null, label: trans.__('Preparing…') };
  }
  const { phase, files_done, files_total, bytes_done, bytes_total } = progress;
  let fraction: number | null = null;
  if (bytes_total > 0) {
    fraction = bytes_done / bytes_total;
  } else if (files_total > 0) {
    fraction = files_done / files_total;
  }
  if (fraction !== null) {
    fraction = Math.min(1, Math.max(0, fraction));
  }
  const files =
    files_total > 0
      ? trans._n('%2 of %1 file', '%2 of %1 files', files_total, files_done)
      : trans._n('%1 file', '%1 files', files_done);
  const bytes = bytes_total > 0 ? ` (${formatBytes(bytes_done)})` : '';
  return {
    fraction,
    label: phase
      ? trans.__('%1: %2', phaseLabel(phase, trans), `${files}${bytes}`)
      : `${files}${bytes}`
  };
}

/** The seeding engine's phases (coursekit/seeding), as the student reads them. */
function phaseLabel(phase: string, trans: TranslationBundle): string {
  switch (phase) {
    case 'fetching':
      return trans.__('fetching');
    case 'scanning':
      return trans.__('scanning');
    case 'copying':
      return trans.__('copying');
    case 'merging':
      return trans.__('merging');
    case 'init':
      return trans.__('first-run steps');
    case 'done':
      return trans.__('done');
    default:
      return phase; // a phase newer than this front end: the engine's own word
  }
}
