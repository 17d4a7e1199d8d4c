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
