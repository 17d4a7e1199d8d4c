import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { BrowserContext, Page } from '@playwright/test';
import * as path from 'path';

import { DOCS_IMAGES } from './helpers';

/** The launcher section of the course web apps (jupyter-server-proxy's cards). */
function appsSection(page: IJupyterLabPageFixture) {
  return page.locator('.jp-Launcher-section').filter({
    has: page.locator('.jp-Launcher-sectionTitle', { hasText: /^Course apps$/ })
  });
}

/** Click an app's card; the app opens in a new tab, at its fixed path once started. */
async function openApp(
  page: IJupyterLabPageFixture,
  context: BrowserContext,
  title: string,
  appPath: RegExp
): Promise<Page> {
  const opened = context.waitForEvent('page');
  await appsSection(page)
    .locator('.jp-LauncherCard', { hasText: title })
    .click();
  const app = await opened;
  // coursekit's start page first, then the app itself.
  await app.waitForURL(appPath, { timeout: 90_000 });
  return app;
}

test.describe('Course web apps', () => {
  test('the launcher shows the installed apps the module lists', async ({
    page
  }) => {
    // Each card opens its app in a new browser tab (the ↗ mark).
    await expect(appsSection(page).locator('.jp-LauncherCard')).toHaveText([
      /^Desktop/,
      /^TensorBoard/
    ]);
  });

  test('the TensorBoard card starts TensorBoard', async ({ page, context }) => {
    test.setTimeout(120_000);
    const app = await openApp(page, context, 'TensorBoard', /\/tensorboard\/$/);
    await expect(app).toHaveTitle('TensorBoard', { timeout: 30_000 });
    await expect(
      app.getByText('week-3-regression', { exact: true }).first()
    ).toBeVisible({ timeout: 30_000 });
    await app.setViewportSize({ width: 1200, height: 700 });
    await app.screenshot({
      path: path.join(DOCS_IMAGES, 'webapps-tensorboard.png')
    });
    await app.close();
  });

  test('the Desktop card opens a Linux desktop through noVNC', async ({
    page,
    context
  }) => {
    test.setTimeout(120_000);
    const app = await openApp(page, context, 'Desktop', /\/desktop\/$/);
    await expect(app.locator('body')).toHaveAttribute(
      'data-connected',
      'true',
      {
        timeout: 30_000
      }
    );
    await expect(app.locator('#screen canvas')).toBeVisible();
    // Let the window manager draw its first windows before the picture.
    await app.waitForTimeout(1500);
    await app.screenshot({
      path: path.join(DOCS_IMAGES, 'webapps-desktop.png')
    });
    await app.close();
  });
});
