/**
 * Student care in the real JupyterLab: downloading a module (take my work away).
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import {
  DOCS_IMAGES,
  MODULE_ID,
  openModulesPanel,
  waitForSeedIdle
} from './helpers';

test.describe('Download module', () => {
  test.beforeEach(async ({ request, baseURL }) => {
    await waitForSeedIdle(request, baseURL!);
  });

  test('the context menu of a module downloads its folder as a zip', async ({
    page
  }, testInfo) => {
    const row = await openModulesPanel(page);
    await row.locator('.jp-coursekit-module-title').click({ button: 'right' });
    const item = page.locator('.lm-Menu-item', {
      hasText: `Download Module`
    });
    await expect(item).toBeVisible();
    await page.screenshot({
      path: path.join(DOCS_IMAGES, 'download-menu.png')
    });

    const downloading = page.waitForEvent('download');
    await item.click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`${MODULE_ID}.zip`);
    const saved = testInfo.outputPath(`${MODULE_ID}.zip`);
    await download.saveAs(saved);
    const bytes = fs.readFileSync(saved);
    // A zip (stored entries, so the names are readable), without coursekit's bookkeeping.
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const text = bytes.toString('latin1');
    expect(text).toContain(`${MODULE_ID}/README.md`);
    expect(text).not.toContain('.coursekit');

    const notice = page.locator('.Toastify__toast', {
      hasText: `${MODULE_ID}.zip downloaded`
    });
    await expect(notice).toBeVisible();
    await page.screenshot({
      path: path.join(DOCS_IMAGES, 'download-done.png')
    });
  });

  test('the palette offers Download Module', async ({ page }) => {
    await page.keyboard.press('Control+Shift+C');
    await page.keyboard.type('Download Module');
    await expect(
      page.locator('.lm-CommandPalette-item', { hasText: 'Download Module' })
    ).toBeVisible();
  });
});

/**
 * The idle warning. The test server runs without a culler (an hour's timeout cannot be
 * waited for), so the status GET is answered with what the server says ten minutes before
 * a cull; "I'm still working" goes to the real server and moves its real last activity.
 */
test.describe('Idle warning', () => {
  const soon = {
    culling: true,
    timeout: 3600,
    every: 600,
    warn_before: 600,
    seconds_until_cull: 540,
    idle_seconds: 3060,
    warn: true,
    previous_stop: null
  };

  test('warns before the cull and I am still working records activity', async ({
    page,
    request,
    baseURL
  }) => {
    await page.route(/\/coursekit\/api\/idle(\?|$)/, route =>
      route.request().method() === 'GET'
        ? route.fulfill({ json: soon })
        : route.continue()
    );
    // Only the notification matters here, not which tab the layout restores.
    await page.reload({ waitForIsReady: false });
    const warning = page.locator('.Toastify__toast', {
      hasText: 'Your server will stop in about 9 minutes'
    });
    await expect(warning).toBeVisible();
    await expect(warning).toContainText('your files are saved');
    await page.screenshot({ path: path.join(DOCS_IMAGES, 'idle-warning.png') });

    const before = (await (await request.get(`${baseURL}/api/status`)).json())
      .last_activity;
    await page.unroute(/\/coursekit\/api\/idle(\?|$)/);
    await warning.getByRole('button', { name: "I'm still working" }).click();
    // The real server answered (no culler here), so the warning goes away.
    await expect(warning).toBeHidden();
    const after = (await (await request.get(`${baseURL}/api/status`)).json())
      .last_activity;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
  });

  test('after a stop for inactivity the next start says why and when', async ({
    page
  }) => {
    let acknowledged = false;
    await page.route(
      /\/coursekit\/api\/idle(\/previous-stop)?(\?|$)/,
      route => {
        if (route.request().method() === 'DELETE') {
          acknowledged = true;
          return route.continue();
        }
        return route.fulfill({
          json: {
            ...soon,
            seconds_until_cull: 3600,
            warn: false,
            previous_stop: {
              reason: 'idle',
              stopped_at: '2026-03-02T15:01:00Z',
              last_activity: '2026-03-02T14:00:00Z',
              idle_seconds: 3660,
              timeout: 3600
            }
          }
        });
      }
    );
    // Only the notification matters here, not which tab the layout restores.
    await page.reload({ waitForIsReady: false });
    const notice = page.locator('.Toastify__toast', {
      hasText: 'Your server was stopped'
    });
    await expect(notice).toBeVisible();
    await expect(notice).toContainText('after 61 minutes without activity');
    await page.screenshot({ path: path.join(DOCS_IMAGES, 'idle-stopped.png') });
    await expect.poll(() => acknowledged).toBe(true);
  });

  test('the real test server has no culler and shows no warning', async ({
    page,
    request,
    baseURL
  }) => {
    const status = await (
      await request.get(`${baseURL}/coursekit/api/idle`)
    ).json();
    expect(status.culling).toBe(false);
    await page.waitForTimeout(1000);
    await expect(
      page.locator('.Toastify__toast', { hasText: 'Your server will stop' })
    ).toHaveCount(0);
  });
});

test('the status bar shows the disk the home uses', async ({ page }) => {
  const item = page.locator('.jp-coursekit-disk-usage');
  // The test home is on the machine's shared disk: no quota, only the use.
  await expect(item).toHaveText(/^Disk: \d/);
  await expect(item).not.toHaveText(/\//);
  await item.screenshot({ path: path.join(DOCS_IMAGES, 'disk-usage.png') });
});

/**
 * Welcome back. The summary's content is the server's (tests/test_welcome.py builds it
 * from real seeding reports); here the GET is answered with such a summary, as after two
 * days away, and the rest is the real JupyterLab and server.
 */
test('welcome back summarises each module and opens its files', async ({
  page,
  request,
  baseURL
}) => {
  const lastVisit = '2026-03-02T09:00:00Z';
  await page.route(/\/coursekit\/api\/welcome(\?|$)/, route =>
    route.fulfill({
      json: {
        show: true,
        last_visit: lastVisit,
        now: '2026-03-04T09:00:00Z',
        modules: [
          {
            id: MODULE_ID,
            title: 'Data management and analysis',
            path: MODULE_ID,
            updates: {
              finished_at: '2026-03-04T08:59:00Z',
              added: ['notebooks/02-cleaning-data.ipynb'],
              updated: ['README.md'],
              merged: [],
              conflicts: [],
              counts: { added: 1, updated: 1, merged: 0, conflicts: 0 }
            },
            announcements: [
              {
                date: '2026-03-03T08:00:00Z',
                title: 'Week 5 notebook fixed',
                text: 'Press Update in the Modules panel if you started it already.'
              }
            ],
            items: [],
            problem: null,
            has_news: true
          }
        ]
      }
    })
  );
  // A modal dialog keeps the Launcher from being the active tab Galata waits for.
  await page.reload({ waitForIsReady: false });
  const dialog = page.locator('.jp-Dialog', { hasText: 'Welcome back' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Week 5 notebook fixed');
  await expect(dialog).toContainText('Course files updated');
  await page.screenshot({ path: path.join(DOCS_IMAGES, 'welcome-back.png') });

  await dialog.getByRole('button', { name: 'README.md' }).click();
  await expect(
    page
      .locator(
        '.jp-MainAreaWidget .lm-TabBar-tab, .lm-DockPanel-tabBar .lm-TabBar-tab',
        { hasText: 'README.md' }
      )
      .first()
  ).toBeVisible();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Got it' })
    .click();
  await expect(dialog).toBeHidden();
  // Dismissed: the real server now holds this visit as the last one.
  await page.unroute(/\/coursekit\/api\/welcome(\?|$)/);
  await expect
    .poll(
      async () =>
        (await (await request.get(`${baseURL}/coursekit/api/welcome`)).json())
          .last_visit
    )
    .not.toBeNull();
});
