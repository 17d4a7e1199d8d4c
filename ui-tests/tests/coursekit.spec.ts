import { expect, test } from '@jupyterlab/galata';

import {
  courseSection,
  MODULE_ID,
  MODULE_TITLE,
  openModulesPanel
} from './helpers';

test.describe('Course launcher', () => {
  test('ranks the Course section first, with a card for the module', async ({
    page
  }) => {
    const section = courseSection(page);
    await expect(section).toBeVisible();
    await expect(page.locator('.jp-Launcher-sectionTitle').first()).toHaveText(
      'Course'
    );
    await expect(section.locator('.jp-LauncherCard')).toHaveText([
      `${MODULE_TITLE} (${MODULE_ID})`
    ]);
  });

  test('a module card opens the module folder in the file browser', async ({
    page
  }) => {
    await courseSection(page)
      .locator('.jp-LauncherCard', { hasText: MODULE_ID })
      .click();

    await expect(page.locator('.jp-FileBrowser')).toBeVisible();
    await expect
      .poll(() => page.filebrowser.getCurrentDirectory())
      .toBe(MODULE_ID);
    await expect(
      page.locator('.jp-FileBrowser .jp-BreadCrumbs-item').last()
    ).toHaveText(MODULE_ID);
  });
});

test.describe('Modules panel', () => {
  test('lists the module with its status', async ({ page }) => {
    const row = await openModulesPanel(page);
    await expect(row.locator('.jp-coursekit-module-title')).toHaveText(
      MODULE_TITLE
    );
    await expect(row.locator('.jp-coursekit-module-id')).toHaveText(MODULE_ID);
    await expect(row.locator('.jp-coursekit-status')).toHaveText('Ready');
    // The example course is valid: no manifest problems to show.
    await expect(page.locator('.jp-coursekit-problems')).toHaveCount(0);
  });

  test('Open cds the file browser into the module', async ({ page }) => {
    const row = await openModulesPanel(page);
    await row.locator('.jp-coursekit-open').click();
    await expect
      .poll(() => page.filebrowser.getCurrentDirectory())
      .toBe(MODULE_ID);
  });

  test('the command palette opens the module', async ({ page }) => {
    await page.evaluate(async id => {
      await window.jupyterapp.commands.execute('coursekit:open-module', { id });
    }, MODULE_ID);
    await expect
      .poll(() => page.filebrowser.getCurrentDirectory())
      .toBe(MODULE_ID);
  });
});

test.describe('Startup', () => {
  test.use({ autoGoto: false });

  test('the only module is opened at startup', async ({ page }) => {
    await page.goto();
    await expect
      .poll(() => page.filebrowser.getCurrentDirectory())
      .toBe(MODULE_ID);
  });

  test('a folder the student opens before the module list arrives is kept', async ({
    page,
    tmpPath
  }) => {
    // A slow start: the module list takes 4 s, and the student moves on meanwhile.
    let sent = false;
    await page.route(
      url => url.pathname.endsWith('/coursekit/api/modules'),
      async route => {
        await new Promise(resolve => setTimeout(resolve, 4000));
        await route.continue();
        sent = true;
      }
    );
    await page.goto();
    await page.filebrowser.openDirectory(tmpPath);
    expect(sent).toBe(false); // the student's move came first
    await expect.poll(() => sent, { timeout: 10_000 }).toBe(true);
    await page.waitForTimeout(1500); // time for a startup step that should not come
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
  });

  test('a folder the student is on the way to when the module list arrives is kept', async ({
    page,
    tmpPath
  }) => {
    // The module list arrives while the browser still waits for the student's folder: the
    // browser queues any later cd behind that one, so a startup cd would land last.
    let modulesSent = false;
    await page.route(
      url => url.pathname.endsWith('/coursekit/api/modules'),
      async route => {
        await new Promise(resolve => setTimeout(resolve, 4000));
        await route.continue();
        modulesSent = true;
      }
    );
    await page.route(
      url =>
        url.pathname.endsWith(`/api/contents/${tmpPath}`) &&
        url.searchParams.get('content') === '1',
      async route => {
        await new Promise(resolve => setTimeout(resolve, 8000));
        await route.continue();
      }
    );
    await page.goto();
    expect(modulesSent).toBe(false); // the student's move comes first
    const moved = page.evaluate(
      path =>
        window.jupyterapp.commands.execute('filebrowser:go-to-path', { path }),
      tmpPath
    );
    await expect.poll(() => modulesSent, { timeout: 10_000 }).toBe(true);
    await moved;
    await page.waitForTimeout(1500); // time for a startup step that should not come
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
  });

  test('a /lab/tree/ address keeps its own folder', async ({
    page,
    tmpPath
  }) => {
    await page.goto(`tree/${tmpPath}`);
    // Give the startup step time to run, then check it left the folder alone.
    await page.waitForTimeout(1000);
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
  });
});
