/**
 * What the coursekit specs share: where things are on the page and on the server.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, expect, Locator } from '@playwright/test';
import * as path from 'path';

export const MODULE_ID = 'TM351-25J';
export const MODULE_TITLE = 'Data management and analysis';
export const PANEL_ID = 'coursekit-modules';

/**
 * Where the specs save the README's screenshots: docs/images when asked to refresh them
 * (COURSEKIT_DOCS_IMAGES=1), else beside the test results, so a test run does not rewrite
 * the committed images with pixels that differ only by chance.
 */
export const DOCS_IMAGES = process.env.COURSEKIT_DOCS_IMAGES
  ? path.resolve(__dirname, '..', '..', 'docs', 'images')
  : path.resolve(__dirname, '..', 'test-results', 'docs-images');

/** The launcher section whose title is "Course" (or its translation). */
export function courseSection(
  page: IJupyterLabPageFixture,
  title = 'Course'
): Locator {
  return page.locator('.jp-Launcher-section').filter({
    has: page.locator('.jp-Launcher-sectionTitle', {
      hasText: new RegExp(`^${title}$`)
    })
  });
}

/** Open the Modules side panel and return the row of the example module. */
export async function openModulesPanel(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  // Through the command, which activates the panel whatever state the layout restored.
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('coursekit:show-modules');
  });
  const panel = page.locator(`#${PANEL_ID}`);
  await expect(panel).toBeVisible();
  const row = panel.locator(`[data-module-id="${MODULE_ID}"]`);
  await expect(row).toBeVisible();
  return row;
}

/** The module's seeding state, straight from the server. */
export async function seedState(
  request: APIRequestContext,
  baseURL: string
): Promise<{ state: string } | null> {
  const response = await request.get(
    `${baseURL}/coursekit/api/modules/${MODULE_ID}/seed`
  );
  return response.ok() ? response.json() : null;
}

/** Wait until no seed of the module is queued or running, so the panel is still. */
export async function waitForSeedIdle(
  request: APIRequestContext,
  baseURL: string,
  timeout = 60_000
): Promise<void> {
  await expect
    .poll(async () => (await seedState(request, baseURL))?.state ?? 'none', {
      timeout
    })
    .not.toMatch(/^(queued|running)$/);
}

/** Open the module through its command, as its launcher card does. */
export async function openModule(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('coursekit:open-module', { id });
  }, MODULE_ID);
  await expect
    .poll(() => page.filebrowser.getCurrentDirectory())
    .toBe(MODULE_ID);
}
