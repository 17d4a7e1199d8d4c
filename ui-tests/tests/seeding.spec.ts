/**
 * The seeding UI against the live seeding routes: progress, the last report, one-click
 * files, restoring deleted files and resetting the module (to a backup, nothing deleted).
 */
import { expect, test } from '@jupyterlab/galata';

import {
  MODULE_ID,
  openModulesPanel,
  seedState,
  waitForSeedIdle
} from './helpers';

const NOTEBOOK = 'notebooks/01-getting-started.ipynb';

test.describe('Seeding in the Modules panel', () => {
  test.beforeEach(async ({ request, baseURL }) => {
    await waitForSeedIdle(request, baseURL!);
  });

  test('Update reseeds and shows the last report', async ({
    page,
    request,
    baseURL
  }) => {
    const row = await openModulesPanel(page);
    await expect(row.locator('.jp-coursekit-report-summary')).toBeVisible();

    const before = (await seedState(request, baseURL!)) as {
      updated_at: number;
    };
    await row.locator('.jp-coursekit-reseed').click();
    await expect
      .poll(
        async () =>
          ((await seedState(request, baseURL!)) as { updated_at: number })
            .updated_at
      )
      .toBeGreaterThan(before.updated_at);
    await waitForSeedIdle(request, baseURL!);

    // Nothing changed in the course since the last seed.
    await expect(row.locator('.jp-coursekit-report-summary')).toHaveText(
      /Up to date|No changes|added/
    );
    await expect(row.locator('.jp-coursekit-reseed')).toBeEnabled();
  });

  test('a file in the report opens in one click', async ({ page }) => {
    // A reset seeds every course file afresh, so the report lists them all.
    const row = await openModulesPanel(page);
    await row.locator('.jp-coursekit-reset').click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Reset module' })
      .click();
    const item = row
      .locator('.jp-coursekit-report-item .jp-coursekit-link', {
        hasText: 'README.md'
      })
      .first();
    await expect(item).toBeVisible({ timeout: 60_000 });
    await item.click();
    await expect(
      page
        .locator(
          '.jp-MainAreaWidget .lm-TabBar-tab, .lm-DockPanel-tabBar .lm-TabBar-tab',
          {
            hasText: 'README.md'
          }
        )
        .first()
    ).toBeVisible();
  });

  test('Restore deleted files brings a deleted notebook back', async ({
    page
  }) => {
    const path = `${MODULE_ID}/${NOTEBOOK}`;
    expect(await page.contents.fileExists(path)).toBe(true);
    await page.contents.deleteFile(path);
    expect(await page.contents.fileExists(path)).toBe(false);

    const row = await openModulesPanel(page);
    await row.locator('.jp-coursekit-restore').click();

    await expect(
      page.locator('.Toastify__toast', { hasText: /Restored 1 file/ })
    ).toBeVisible();
    expect(await page.contents.fileExists(path)).toBe(true);
  });

  test('Reset asks first, then moves the folder to a backup', async ({
    page,
    request,
    baseURL
  }) => {
    const row = await openModulesPanel(page);
    await row.locator('.jp-coursekit-reset').click();

    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('backup');
    await expect(dialog).toContainText('Nothing is deleted');
    // Cancel leaves everything as it was.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);

    await row.locator('.jp-coursekit-reset').click();
    await dialog.getByRole('button', { name: 'Reset module' }).click();
    await expect(
      page.locator('.Toastify__toast', { hasText: /was reset/ })
    ).toBeVisible({ timeout: 60_000 });

    const listing = await request.get(`${baseURL}/api/contents/?content=1`);
    const names = ((await listing.json()).content as { name: string }[]).map(
      entry => entry.name
    );
    expect(names.some(name => name.startsWith(`${MODULE_ID}.backup-`))).toBe(
      true
    );
    expect(await page.contents.fileExists(`${MODULE_ID}/${NOTEBOOK}`)).toBe(
      true
    );
  });
});
