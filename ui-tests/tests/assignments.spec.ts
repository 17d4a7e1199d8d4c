/**
 * The assignments section of a module's row. The server's answers are stood in for with
 * Playwright routes: the real ones need a JupyterHub running the exchange service, which
 * tests/test_exchange_hub.py and tests/test_handlers_assignments.py exercise.
 */
import { expect, test } from '@jupyterlab/galata';
import { Route } from '@playwright/test';

import { MODULE_ID, openModulesPanel } from './helpers';

const BASE_PATH = `/coursekit/api/modules/${MODULE_ID}/assignments`;

/** The list (GET adds a cache-busting query, so match the path, not the whole URL). */
const LIST = (url: URL) => url.pathname.endsWith(BASE_PATH);
/** One assignment action, or only `action` when given. */
const ACTION =
  (action = '') =>
  (url: URL) =>
    url.pathname.startsWith(`${BASE_PATH}/ps1/${action}`) ||
    (url.pathname.includes(`${BASE_PATH}/ps1/`) && !action);

function assignment(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'ps1',
    due: '2026-12-01T12:00:00+00:00',
    released_at: '2026-11-01T09:00:00+00:00',
    status,
    path: `${MODULE_ID}/ps1`,
    files: ['problem1.ipynb'],
    missing_files: status === 'released' ? ['problem1.ipynb'] : [],
    submitted_at: null,
    submissions: [],
    feedback_fetched: false,
    ...extra
  };
}

function json(route: Route, body: unknown, status = 200) {
  return route.fulfill({
    status,
    contentType: 'application/json',
    body: JSON.stringify(body)
  });
}

test.describe('Assignments in the Modules panel', () => {
  // The routes must be in place before JupyterLab loads and asks for the list.
  test.use({ autoGoto: false });

  test('fetch, then submit with a progress bar and a receipt', async ({
    page
  }) => {
    let state = 'released';
    const posted: (string | undefined)[] = [];
    await page.route(LIST, route =>
      json(route, { module: MODULE_ID, assignments: [assignment(state)] })
    );
    await page.route(ACTION(), async route => {
      const action = new URL(route.request().url()).pathname.split('/').pop();
      posted.push(action);
      if (action === 'fetch') {
        state = 'fetched';
        return json(route, {
          path: `${MODULE_ID}/ps1`,
          fetched: ['problem1.ipynb'],
          kept: []
        });
      }
      // Hold the submission a moment, so the progress bar can be seen.
      await new Promise(resolve => setTimeout(resolve, 500));
      state = 'submitted';
      return json(
        route,
        {
          module: MODULE_ID,
          assignment: 'ps1',
          student: 'student1',
          submission_id: '20261122T060000.000000Z-abcdefgh',
          submitted_at: '2026-11-22T06:00:00+00:00',
          archive_sha256: 'f'.repeat(64),
          archive_size: 1234,
          files: [{ path: 'problem1.ipynb', sha256: 'a'.repeat(64) }],
          receipt_path: `${MODULE_ID}/submission-receipts/ps1-x.json`
        },
        201
      );
    });
    await page.goto();
    const row = await openModulesPanel(page);
    const item = row.locator('[data-assignment="ps1"]');
    await expect(item).toHaveAttribute('data-status', 'released');
    await expect(item).toContainText('Not fetched');
    await expect(item).toContainText('Due');

    // The fetch is stood in for, so make the folder it would create (the section shows it).
    await page.contents.createDirectory(`${MODULE_ID}/ps1`);
    await item.locator('.jp-coursekit-fetch').click();
    await expect(item).toHaveAttribute('data-status', 'fetched');
    // Fetching shows the folder in the file browser; come back to the panel.
    await expect(page.locator('.jp-FileBrowser')).toBeVisible();
    await openModulesPanel(page);

    await item.locator('.jp-coursekit-submit').click();
    await expect(item.locator('progress')).toBeVisible();
    const receipt = item.locator('.jp-coursekit-receipt');
    await expect(receipt).toContainText('submission-receipts/ps1-x.json');
    await expect(receipt).toContainText('problem1.ipynb');
    await expect(item).toHaveAttribute('data-status', 'submitted');
    expect(posted).toEqual(['fetch', 'submit']);
  });

  test("shows the exchange's refusal as a message", async ({ page }) => {
    await page.route(LIST, route =>
      json(route, { module: MODULE_ID, assignments: [assignment('released')] })
    );
    await page.route(ACTION('fetch'), route =>
      json(
        route,
        {
          code: 'exchange-unavailable',
          message: 'the exchange cannot be reached'
        },
        502
      )
    );
    await page.goto();
    const row = await openModulesPanel(page);
    await row.locator('[data-assignment="ps1"] .jp-coursekit-fetch').click();
    await expect(
      row.locator('.jp-coursekit-assignments [role="alert"]')
    ).toContainText('the exchange cannot be reached');
  });

  test('without an exchange the section is not shown', async ({ page }) => {
    await page.goto();
    const row = await openModulesPanel(page);
    await expect(row.locator('.jp-coursekit-assignments')).toHaveCount(0);
  });
});
