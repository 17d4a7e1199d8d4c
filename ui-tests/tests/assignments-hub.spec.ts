/**
 * nbgrader for real: a student on the reference JupyterHub, with its exchange service,
 * fetches, submits and reads feedback from the Modules panel in the browser, while the
 * instructor releases and marks with nbgrader (../hub_fixture.py, through ./hub.ts).
 *
 * Plain Playwright rather than Galata's page: Galata's fixtures expect a Jupyter server
 * of their own at baseURL, and here the student reaches theirs through the hub's login.
 */
import { expect, Locator, Page, test as base } from '@playwright/test';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { DOCS_IMAGES, MODULE_ID, PANEL_ID } from './helpers';
import {
  GRADING_TIMEOUT,
  HUB_READY_TIMEOUT,
  IReferenceHub,
  startReferenceHub
} from './hub';

const STUDENT = 'student1';
/** The hub starts the student's server on first login: JupyterLab can take this long. */
const SPAWN_TIMEOUT = 120_000;
/** Fetch, submit and feedback go through the exchange service. */
const ACTION_TIMEOUT = 30_000;
/** What nbgrader's quickstart releases as ps1. */
const RELEASED = ['jupyter.png', 'problem1.ipynb', 'problem2.ipynb'];

const test = base.extend<object, { hub: IReferenceHub }>({
  hub: [
    async ({}, use) => {
      const hub = await startReferenceHub();
      try {
        await use(hub);
      } finally {
        await hub.stop();
      }
    },
    { scope: 'worker', timeout: HUB_READY_TIMEOUT + 60_000 }
  ]
});

// Dates as a student in the UK sees them, whatever this machine's locale.
test.use({ locale: 'en-GB', timezoneId: 'Europe/London' });

function sha256(file: string): string {
  return crypto
    .createHash('sha256')
    .update(fs.readFileSync(file))
    .digest('hex');
}

function ukTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { timeZone: 'Europe/London' });
}

/** The Modules panel, opened from its tab in the left sidebar; returns the module's row. */
async function openModulesPanel(page: Page): Promise<Locator> {
  const panel = page.locator(`#${PANEL_ID}`);
  if (!(await panel.isVisible())) {
    await page
      .locator(`.jp-SideBar .lm-TabBar-tab[data-id="${PANEL_ID}"]`)
      .click();
  }
  await expect(panel).toBeVisible();
  const row = panel.locator(`[data-module-id="${MODULE_ID}"]`);
  await expect(row).toBeVisible();
  return row;
}

test.afterEach(async ({ hub }, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('hub.log', { path: path.join(hub.state, 'hub.log') });
  }
});

test('a student fetches, submits with a receipt and reads feedback', async ({
  page,
  hub
}) => {
  test.setTimeout(SPAWN_TIMEOUT + GRADING_TIMEOUT + 4 * ACTION_TIMEOUT);
  const folder = path.join(
    hub.state,
    'homes',
    STUDENT,
    MODULE_ID,
    hub.assignment
  );
  const row = () => openModulesPanel(page);
  const item = page.locator(
    `#${PANEL_ID} [data-module-id="${MODULE_ID}"] [data-assignment="${hub.assignment}"]`
  );

  await test.step('logs in on the hub and lands in JupyterLab', async () => {
    await page.goto(`${hub.url}/hub/login`);
    await page.getByLabel('Username:').fill(STUDENT);
    await page.getByLabel('Password:').fill(hub.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${hub.url}/user/${STUDENT}/lab**`, {
      timeout: SPAWN_TIMEOUT
    });
    await expect(page.locator('#jp-main-dock-panel')).toBeVisible({
      timeout: SPAWN_TIMEOUT
    });
  });

  await test.step('sees the released assignment with its due date', async () => {
    await row();
    await expect(item).toHaveAttribute('data-status', 'released', {
      timeout: ACTION_TIMEOUT
    });
    await expect(item.locator('.jp-coursekit-assignment-name')).toHaveText(
      hub.assignment
    );
    await expect(item.locator('.jp-coursekit-assignment-status')).toHaveText(
      'Not fetched'
    );
    // The instructor's gradebook said 2027-01-15 17:00 UTC; in London that is 17:00 GMT.
    await expect(item).toContainText(`Due ${ukTime(hub.due)}`);
    expect(ukTime(hub.due)).toBe('15/01/2027, 17:00:00');
    await expect(item.locator('.jp-coursekit-fetch')).toHaveText('Fetch');
    await expect(item.locator('.jp-coursekit-submit')).toBeDisabled();
  });

  await test.step('fetches: the files appear in the module folder', async () => {
    await item.locator('.jp-coursekit-fetch').click();
    // Fetching shows the assignment's folder in the file browser.
    const listing = page.locator('.jp-FileBrowser .jp-DirListing-itemText');
    await expect(page.locator('.jp-FileBrowser .jp-BreadCrumbs')).toContainText(
      hub.assignment,
      { timeout: ACTION_TIMEOUT }
    );
    // The listing follows the breadcrumbs once the folder's contents arrive: on a busy
    // machine that took longer than the default 5 s (seen once in CI).
    await expect(listing).toHaveText(RELEASED, { timeout: ACTION_TIMEOUT });
    expect(fs.readdirSync(folder).sort()).toEqual(RELEASED);

    await row();
    await expect(item).toHaveAttribute('data-status', 'fetched');
    await expect(item.locator('.jp-coursekit-assignment-status')).toHaveText(
      'Fetched'
    );
    // Nothing is missing, so there is nothing more to fetch.
    await expect(item.locator('.jp-coursekit-fetch')).toHaveText(
      'Fetch missing'
    );
    await expect(item.locator('.jp-coursekit-fetch')).toBeDisabled();
  });

  let receiptFile = '';
  await test.step('submits, sees the progress, then the receipt', async () => {
    // Hold the request a moment in the browser, so the progress bar can be seen; the
    // submission itself then goes to the real server and exchange.
    const submitPath = `/user/${STUDENT}/coursekit/api/modules/${MODULE_ID}/assignments/${hub.assignment}/submit`;
    const submitURL = (url: URL) => url.pathname === submitPath;
    await page.route(submitURL, async route => {
      await new Promise(resolve => setTimeout(resolve, 2000));
      await route.continue();
    });
    await item.locator('.jp-coursekit-submit').click();
    await expect(item.locator('progress')).toHaveAttribute(
      'aria-label',
      'Submitting the assignment'
    );
    const receipt = item.locator('.jp-coursekit-receipt');
    await expect(receipt).toBeVisible({ timeout: ACTION_TIMEOUT });
    await page.unroute(submitURL);
    await expect(item.locator('progress')).toHaveCount(0);

    // The receipt the student sees is the one written into their module folder...
    const saved = /Receipt saved to (\S+\.json)/.exec(
      (await receipt.textContent()) ?? ''
    );
    expect(saved).not.toBeNull();
    expect(saved![1]).toMatch(
      new RegExp(
        `^${MODULE_ID}/submission-receipts/${hub.assignment}-.+\\.json$`
      )
    );
    receiptFile = path.join(hub.state, 'homes', STUDENT, saved![1]);
    const written = JSON.parse(fs.readFileSync(receiptFile, 'utf-8'));
    expect(written.student).toBe(STUDENT);
    expect(written.archive_sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(receipt).toContainText(
      `Submitted at ${ukTime(written.submitted_at)}.`
    );
    // ...every file with its sha256, and nbgrader's timestamp beside the work.
    const files = written.files as { path: string; sha256: string }[];
    expect(files.map(f => f.path).sort()).toEqual(
      [...RELEASED, 'timestamp.txt'].sort()
    );
    await expect(receipt.locator('li')).toHaveText(
      files.map(f => `${f.path} ${f.sha256.slice(0, 12)}`)
    );
    // ...and the digests are those of what is on the student's disk.
    for (const name of RELEASED) {
      expect(files.find(f => f.path === name)!.sha256).toBe(
        sha256(path.join(folder, name))
      );
    }
    await expect(item).toHaveAttribute('data-status', 'submitted');
    await expect(item.locator('.jp-coursekit-assignment-status')).toHaveText(
      `Submitted ${ukTime(written.submitted_at)}`
    );
    await page.screenshot({ path: path.join(DOCS_IMAGES, 'assignments.png') });
  });

  await test.step('the instructor collects exactly what was submitted, marks it and returns feedback', async () => {
    const collected = await hub.returnFeedback();
    const written = JSON.parse(fs.readFileSync(receiptFile, 'utf-8'));
    for (const file of written.files as { path: string; sha256: string }[]) {
      expect(collected[file.path], file.path).toBe(file.sha256);
    }
  });

  await test.step('refreshes, fetches the feedback and reads it', async () => {
    const panel = page.locator(`#${PANEL_ID}`);
    await row();
    await panel.getByTitle('Refresh the module list').click();
    await expect(item).toHaveAttribute('data-status', 'feedback-ready', {
      timeout: ACTION_TIMEOUT
    });
    await expect(item.locator('.jp-coursekit-assignment-status')).toHaveText(
      'Feedback ready'
    );
    await item.locator('.jp-coursekit-feedback').click();

    // Each notebook's feedback opens in JupyterLab's HTML viewer.
    for (const notebook of ['problem1', 'problem2']) {
      await expect(
        page.locator('.jp-MainAreaWidget .jp-HTMLViewer')
      ).not.toHaveCount(0, { timeout: ACTION_TIMEOUT });
      await expect(
        page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
          hasText: `${notebook}.html`
        })
      ).toBeVisible({ timeout: ACTION_TIMEOUT });
    }
    const tab = page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
      hasText: 'problem1.html'
    });
    await tab.click();
    const feedback = page
      .locator('.jp-MainAreaWidget:visible .jp-HTMLViewer iframe')
      .contentFrame();
    // Nothing was answered, so the autograder gave nothing for problem 1.
    await expect(feedback.locator('h4').first()).toHaveText(
      /^problem1 \(Score: 0\.0 \/ [1-9]\d*\.\d+\)$/,
      { timeout: ACTION_TIMEOUT }
    );
    const fetched = fs.readdirSync(path.join(folder, 'feedback'));
    expect(fetched).toHaveLength(1);
    // nbgrader's feedback: an HTML page per notebook, and the assignment's other files
    // (the quickstart's image); the checkpoints folder is JupyterLab's, from opening them.
    expect(
      fs
        .readdirSync(path.join(folder, 'feedback', fetched[0]))
        .filter(name => name !== '.ipynb_checkpoints')
        .sort()
    ).toEqual(['jupyter.png', 'problem1.html', 'problem2.html']);

    await row();
    await expect(item.locator('.jp-coursekit-assignment-status')).toHaveText(
      'Feedback fetched'
    );
  });
});
