/**
 * Screenshots in the light and the dark theme: snapshot assertions on the parts that do
 * not depend on seeding, and the README's images written to docs/images/.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  courseSection,
  DOCS_IMAGES,
  openModule,
  openModulesPanel,
  waitForSeedIdle
} from './helpers';

for (const theme of ['light', 'dark'] as const) {
  test.describe(`${theme} theme`, () => {
    test.beforeEach(async ({ page }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      } else {
        await page.theme.setLightTheme();
      }
    });

    test('launcher with the Course section', async ({ page }) => {
      const section = courseSection(page);
      await expect(section).toBeVisible();
      expect(await section.screenshot()).toMatchSnapshot(
        `launcher-course-${theme}.png`
      );
      if (theme === 'light') {
        // As a student sees it: the file browser and the launcher in the module.
        await openModule(page);
        await page.screenshot({ path: path.join(DOCS_IMAGES, 'launcher.png') });
      }
    });

    test('Modules panel', async ({ page, request, baseURL }) => {
      await waitForSeedIdle(request, baseURL!);
      await openModule(page);
      const row = await openModulesPanel(page);
      expect(
        await row.locator('.jp-coursekit-module-header').screenshot()
      ).toMatchSnapshot(`modules-panel-header-${theme}.png`);
      await page.screenshot({
        path: path.join(
          DOCS_IMAGES,
          theme === 'light' ? 'modules-panel.png' : 'modules-panel-dark.png'
        )
      });
    });
  });
}
