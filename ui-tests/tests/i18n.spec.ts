/**
 * coursekit in French: with jupyterlab-language-pack-fr-FR installed and the display
 * language set to fr_FR, JupyterLab loads coursekit/locale/fr_FR/LC_MESSAGES/coursekit.json
 * (found through the package's jupyterlab.locale entry point) for the coursekit domain.
 */
import { expect, galata, test } from '@jupyterlab/galata';

import {
  courseSection,
  MODULE_ID,
  MODULE_TITLE,
  openModulesPanel
} from './helpers';

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/translation-extension:plugin': { locale: 'fr_FR' }
  },
  // Galata's own readiness check waits for a tab named "Launcher": here it is "Lanceur".
  waitForApplication: async ({}, use) => {
    await use(async (page, helpers) => {
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
      await helpers.waitForCondition(() =>
        helpers.activity.isTabActive('Lanceur')
      );
    });
  }
});

test('the launcher and the Modules panel speak French', async ({ page }) => {
  // The launcher's Course section, titled in French, with the module's card.
  const section = courseSection(page, 'Cours');
  await expect(section).toBeVisible();
  await expect(section.locator('.jp-LauncherCard')).toHaveText([
    `${MODULE_TITLE} (${MODULE_ID})`
  ]);

  const row = await openModulesPanel(page);
  const panel = page.locator('#coursekit-modules');
  await expect(panel.locator('.jp-coursekit-panel-title')).toHaveText(
    'Modules'
  );
  await expect(
    panel.getByRole('button', { name: 'Actualiser la liste des modules' })
  ).toBeVisible();
  await expect(row.locator('.jp-coursekit-status')).toHaveText('Prêt');
  await expect(row.locator('.jp-coursekit-open')).toHaveText('Ouvrir');
  await expect(row.locator('.jp-coursekit-open')).toHaveAttribute(
    'title',
    `Ouvrir ${MODULE_ID} dans l’explorateur de fichiers`
  );
  // The seeding actions, once the start-up seed has settled.
  await expect(row.getByRole('button', { name: 'Mettre à jour' })).toBeVisible({
    timeout: 60_000
  });
  await expect(
    row.getByRole('button', { name: 'Réinitialiser le module' })
  ).toBeVisible();
});
