import { nullTranslator } from '@jupyterlab/translation';

import { formatBytes } from '../format';
import {
  describeProgress,
  reportItems,
  summarizeReport
} from '../modules/report';
import { ISeedReport } from '../tokens';

const trans = nullTranslator.load('coursekit');

function report(changes: Partial<ISeedReport> = {}): ISeedReport {
  return {
    module_id: 'TM351-25J',
    finished_at: 1795300000,
    noop: false,
    added: [],
    updated: [],
    merged: [],
    kept: [],
    conflicts: [],
    removed: [],
    deleted_by_student: [],
    init: [],
    errors: [],
    ...changes
  };
}

describe('summarizeReport', () => {
  it('names notebooks in the first count, then counts the rest', () => {
    const summary = summarizeReport(
      report({
        updated: ['a.ipynb', 'b.ipynb', 'c.ipynb'],
        merged: ['d.ipynb'],
        conflicts: [{ path: 'e.ipynb', course_copy: 'e.course.ipynb' }]
      }),
      trans
    );
    expect(summary).toBe('3 notebooks updated, 1 merged, 1 conflict');
  });

  it('says files when not every one is a notebook', () => {
    expect(
      summarizeReport(report({ added: ['a.ipynb', 'b.csv'] }), trans)
    ).toBe('2 files added');
  });

  it('uses the singular for one', () => {
    expect(summarizeReport(report({ updated: ['a.ipynb'] }), trans)).toBe(
      '1 notebook updated'
    );
  });

  it('says up to date for a no-op seed', () => {
    expect(summarizeReport(report({ noop: true }), trans)).toBe('Up to date');
  });

  it('says no changes when a seed changed nothing', () => {
    expect(summarizeReport(report({ kept: ['a.ipynb'] }), trans)).toBe(
      'No changes'
    );
  });

  it('counts files the student deleted and errors, failed init steps included', () => {
    const summary = summarizeReport(
      report({
        deleted_by_student: ['x.ipynb', 'y.ipynb'],
        errors: [{ path: 'z', code: 'io', message: 'disk full' }],
        init: [
          { name: 'db', status: 'failed', message: 'no postgres' },
          { name: 'cfg', status: 'ok', message: '' }
        ]
      }),
      trans
    );
    expect(summary).toBe('2 deleted by you, 2 errors');
  });
});

describe('reportItems', () => {
  it('lists errors and conflicts first, with the course copy of a conflict', () => {
    const items = reportItems(
      report({
        added: ['new.ipynb'],
        updated: ['u.ipynb'],
        merged: ['m.ipynb'],
        conflicts: [
          { path: 'c.ipynb', course_copy: 'c.course.ipynb', reason: 'both' }
        ],
        removed: [{ path: 'old.ipynb', moved_to: 'old.removed.ipynb' }],
        errors: [{ path: 'e.ipynb', code: 'io', message: 'denied' }]
      }),
      trans
    );
    expect(items.map(item => [item.kind, item.path])).toEqual([
      ['error', 'e.ipynb'],
      ['conflict', 'c.ipynb'],
      ['merged', 'm.ipynb'],
      ['updated', 'u.ipynb'],
      ['added', 'new.ipynb'],
      ['removed', 'old.removed.ipynb']
    ]);
    expect(items[1].otherPath).toBe('c.course.ipynb');
    expect(items[1].detail).toBe('both');
  });
});

describe('describeProgress', () => {
  const progress = {
    phase: 'copying',
    files_done: 2,
    files_total: 4,
    bytes_done: 0,
    bytes_total: 0
  };

  it('measures bytes when the total is known', () => {
    const { fraction, label } = describeProgress(
      { ...progress, bytes_done: 250, bytes_total: 1000 },
      trans
    );
    expect(fraction).toBe(0.25);
    expect(label).toBe('copying: 2 of 4 files (250 B)');
  });

  it('falls back to files when bytes_total is 0', () => {
    expect(describeProgress(progress, trans).fraction).toBe(0.5);
  });

  it('is indeterminate with no totals or no progress yet', () => {
    expect(
      describeProgress({ ...progress, files_total: 0 }, trans).fraction
    ).toBeNull();
    expect(describeProgress(null, trans).fraction).toBeNull();
  });
});

describe('formatBytes', () => {
  it('counts in 1024s, as the file browser does, with one decimal below ten units', () => {
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GB');
  });
});
