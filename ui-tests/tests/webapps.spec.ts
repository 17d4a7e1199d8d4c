import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, BrowserContext, Page } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
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

/**
 * Put the TensorBoard run the test server wrote at start back in the module's log folder,
 * from its copy outside the home: an earlier spec may have reset the module (moving the
 * folder, logs and all, to a backup).
 */
async function ensureTensorBoardRun(request: APIRequestContext): Promise<void> {
  const port = process.env.COURSEKIT_UI_PORT || '8888';
  const fixture = path.join(
    os.tmpdir(),
    `coursekit-ui-tensorboard-run-${port}`
  );
  const folder = 'TM351-25J/logs/week-3-regression';
  for (const dir of ['TM351-25J/logs', folder]) {
    const made = await request.put(`api/contents/${dir}`, {
      data: { type: 'directory' }
    });
    expect(made.ok()).toBeTruthy();
  }
  for (const name of fs.readdirSync(fixture)) {
    const content = fs
      .readFileSync(path.join(fixture, name))
      .toString('base64');
    const put = await request.put(`api/contents/${folder}/${name}`, {
      data: { type: 'file', format: 'base64', content }
    });
    expect(put.ok()).toBeTruthy();
  }
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

  test('the TensorBoard card starts TensorBoard', async ({
    page,
    context,
    request
  }) => {
    test.setTimeout(120_000);
    await ensureTensorBoardRun(request);
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
