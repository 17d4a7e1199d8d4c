import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  courseSection,
  DOCS_IMAGES,
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

test.describe('Course shared folder', () => {
  // start-server.sh mounts the example's volume read-only when it runs as root (CI), as a
  // student's server has it; elsewhere it stays writable, as a member of staff's is.
  const readOnly = process.getuid?.() === 0;

  test('the module row shows it and opens it in the file browser', async ({
    page
  }) => {
    const row = await openModulesPanel(page);
    const folder = row.locator('[data-shared="shared"]');
    await expect(folder).toHaveAttribute('data-status', 'ready');
    await expect(folder.locator('.jp-coursekit-shared-title')).toHaveText(
      'Course shared folder'
    );
    await expect(
      folder.locator('.jp-coursekit-shared-access'),
      'as root, ui-tests/start-server.sh mounts the shared folder read-only'
    ).toHaveText(readOnly ? 'Read-only' : 'You can edit');

    await folder.locator('.jp-coursekit-shared-open').click();
    await expect
      .poll(() => page.filebrowser.getCurrentDirectory())
      .toBe(`${MODULE_ID}/shared`);
    await expect(
      page.locator('.jp-FileBrowser .jp-DirListing-itemText')
    ).toHaveText(['datasets', 'README.md']);
    await page.screenshot({
      path: path.join(DOCS_IMAGES, 'shared-folder.png')
    });
    // Through the link, the student reads what staff put there...
    const readme = await page.evaluate(
      async file =>
        (await window.jupyterapp.serviceManager.contents.get(file)).content,
      `${MODULE_ID}/shared/README.md`
    );
    expect(readme).toContain('# TM351 shared folder');
    // ...and, where the mount is read-only, cannot save there.
    if (readOnly) {
      const error = await page.evaluate(async file => {
        try {
          await window.jupyterapp.serviceManager.contents.save(file, {
            type: 'file',
            format: 'text',
            content: 'mine'
          });
          return null;
        } catch (reason) {
          return String(reason);
        }
      }, `${MODULE_ID}/shared/mine.txt`);
      expect(error).toContain('Read-only file system');
    }
  });
});

test.describe('Startup', () => {
  test.use({ autoGoto: false });

  /** Requests to ``match`` wait until ``open()``: the order of a slow start, on purpose. */
  async function holdRequests(
    page: IJupyterLabPageFixture,
    match: (url: URL) => boolean
  ): Promise<{ open: () => void; passed: () => boolean }> {
    let open = () => undefined as void;
    const opened = new Promise<void>(resolve => (open = resolve));
    let passed = false;
    await page.route(match, async route => {
      await opened;
      await route.fallback();
      passed = true;
    });
    return { open, passed: () => passed };
  }

  const moduleList = (url: URL) =>
    url.pathname.endsWith('/coursekit/api/modules');
  /** The file browser's listing of a folder (its contents, not just its model). */
  const listingOf = (folder: string) => (url: URL) =>
    url.pathname
      .replace(/\/$/, '')
      .endsWith(folder ? `/api/contents/${folder}` : '/api/contents') &&
    url.searchParams.get('content') === '1';

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
    // A slow start: the module list is held back while the student moves on.
    const modules = await holdRequests(page, moduleList);
    await page.goto();
    await page.filebrowser.openDirectory(tmpPath);
    modules.open();
    await expect.poll(modules.passed).toBe(true);
    await page.waitForTimeout(1500); // time for a startup step that should not come
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
  });

  test('a folder the student is on the way to when the module list arrives is kept', async ({
    page,
    tmpPath
  }) => {
    // The module list arrives while the browser still waits for the student's folder: the
    // browser queues any later cd behind that one, so a startup cd would land last.
    const modules = await holdRequests(page, moduleList);
    const listing = await holdRequests(page, listingOf(tmpPath));
    await page.goto();
    const moved = page.evaluate(
      path =>
        window.jupyterapp.commands.execute('filebrowser:go-to-path', { path }),
      tmpPath
    );
    const modulesArrived = page.waitForResponse(response =>
      moduleList(new URL(response.url()))
    );
    modules.open();
    await modulesArrived;
    await page.waitForTimeout(1000); // time for the startup step to queue its cd
    listing.open();
    await moved;
    await page.waitForTimeout(1500); // time for a startup step that should not come
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
  });

  test('a folder the student is sent to while a listing is on its way is kept', async ({
    page,
    tmpPath
  }) => {
    // A listing of the home is slow. The browser lets every cd queued behind one listing
    // go at once, and the one whose own listing comes back last wins: a startup cd must
    // not be one of them (seen on the hub, behind the browser's first listing).
    const modules = await holdRequests(page, moduleList);
    await page.goto();
    const home = await holdRequests(page, listingOf(''));
    const module = await holdRequests(page, listingOf(MODULE_ID));
    // The student refreshes the file browser (a refresh right after another is skipped:
    // until the home's listing is under way).
    let homeListed = false;
    page.on('request', request => {
      homeListed ||= listingOf('')(new URL(request.url()));
    });
    await expect
      .poll(async () => {
        await page
          .locator(
            '#filebrowser .jp-ToolbarButtonComponent[data-command="filebrowser:refresh"]'
          )
          .click();
        return homeListed;
      })
      .toBe(true);
    const modulesArrived = page.waitForResponse(response =>
      moduleList(new URL(response.url()))
    );
    modules.open();
    await modulesArrived;
    await page.waitForTimeout(1000); // time for the startup step to queue its cd
    const moved = page.evaluate(
      path =>
        window.jupyterapp.commands.execute('filebrowser:go-to-path', { path }),
      tmpPath
    );
    await page.waitForTimeout(500); // the student's cd is queued too
    home.open();
    await moved;
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
    module.open(); // a startup listing of the module, if one was sent, comes back last
    await page.waitForTimeout(1500); // time for a startup step that should not come
    expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
  });

  test.describe('before the layout is restored', () => {
    // Return from goto once the plugins are active, not once the layout is restored.
    test.use({
      waitForApplication: async ({}, use) => {
        await use(async () => undefined);
      }
    });

    test('a folder the student is sent to is kept', async ({
      page,
      tmpPath
    }) => {
      // A slow restore (the workspace is held back): the student fetches an assignment,
      // and the browser is told to show its folder, while JupyterLab restores the layout.
      const workspace = await holdRequests(page, url =>
        url.pathname.includes('/api/workspaces')
      );
      await page.goto();
      const restoredBeforeMove = await page.evaluate(async path => {
        let restored = false;
        void window.jupyterapp.restored.then(() => (restored = true));
        await Promise.resolve(); // a restored app would have said so by now
        void window.jupyterapp.commands.execute('filebrowser:go-to-path', {
          path
        });
        return restored;
      }, tmpPath);
      expect(restoredBeforeMove).toBe(false); // the student's move comes first
      workspace.open();
      await page.evaluate(() => window.jupyterapp.restored);
      await expect
        .poll(() => page.filebrowser.getCurrentDirectory())
        .toBe(tmpPath);
      await page.waitForTimeout(1500); // time for a startup step that should not come
      expect(await page.filebrowser.getCurrentDirectory()).toBe(tmpPath);
    });
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
