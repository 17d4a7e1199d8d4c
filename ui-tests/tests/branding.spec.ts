/**
 * Branding from images/example-branding in both themes (logo, name, colours, tab title,
 * Help links), and a setting the course locked that the student cannot change. Runs
 * against a server of its own (jupyter_server_branding_config.py), started here.
 */
import { expect, test } from '@jupyterlab/galata';
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

import { DOCS_IMAGES } from './helpers';

const PORT = Number(process.env.COURSEKIT_UI_PORT || '8888') + 1000;
const BASE_URL = `http://localhost:${PORT}`;
const THEMES = '@jupyterlab/apputils-extension:themes';
const APP_NAME = 'TM351-25J · Open University';

let server: ChildProcess;

test.use({ baseURL: BASE_URL });

test.beforeAll(async () => {
  server = spawn(
    'jupyter',
    [
      'lab',
      '--config',
      path.resolve(__dirname, '..', 'jupyter_server_branding_config.py'),
      '--no-browser'
    ],
    { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' }
  );
  // The server is another process: poll until it answers (no event to await).
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const response = await fetch(`${BASE_URL}/lab`);
      if (response.ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`the branded server did not start on ${BASE_URL}`);
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
});

test.afterAll(() => {
  server?.kill();
});

for (const theme of ['light', 'dark'] as const) {
  test(`logo, name, colours and tab title in the ${theme} theme`, async ({
    page
  }) => {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    const logo = page.locator('#jp-MainLogo img.jp-coursekit-logo');
    await expect(logo).toBeVisible();
    await expect(logo).toHaveAttribute('alt', 'Open University');
    const name = page.locator('#coursekit-brand-name');
    await expect(name).toHaveText(APP_NAME);
    await expect(page).toHaveTitle(new RegExp(`${APP_NAME}$`));
    const accent = theme === 'light' ? '#7a1fa2' : '#d9a6ef';
    await expect(page.locator('body')).toHaveAttribute(
      'data-coursekit-branded',
      theme
    );
    expect(
      await page.evaluate(() =>
        document.body.style.getPropertyValue('--jp-brand-color1')
      )
    ).toBe(accent);

    expect(await page.locator('#jp-top-panel').screenshot()).toMatchSnapshot(
      `branding-top-bar-${theme}.png`
    );
    await page.menu.open('Help');
    await expect(
      page.locator('.lm-Menu-itemLabel', { hasText: 'TM351 module website' })
    ).toBeVisible();
    await expect(
      page.locator('.lm-Menu-itemLabel', { hasText: 'About Open University' })
    ).toBeVisible();
    await page.screenshot({
      path: path.join(DOCS_IMAGES, `branding-${theme}.png`)
    });
    await page.keyboard.press('Escape');
  });
}

test('a setting the course locked cannot be changed', async ({
  page,
  request
}) => {
  await page.theme.setLightTheme();
  // The server refuses the change, whatever the client.
  const refused = await request.put(`${BASE_URL}/lab/api/settings/${THEMES}`, {
    data: { raw: '{"theme-scrollbars": false}' }
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain('locked by your course');

  // And the Settings Editor shows it read-only, with the course's value.
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('settingeditor:open', {
      query: 'Theme'
    });
  });
  const field = page.locator('input[id$="theme-scrollbars"]');
  await expect(field).toBeVisible();
  await expect(field).toBeDisabled();
  await expect(field).toBeChecked();
  await expect(
    page.locator('[id$="theme-scrollbars__description"]')
  ).toContainText('(Locked by your course.)');
  await page.screenshot({
    path: path.join(DOCS_IMAGES, 'branding-locked-setting.png')
  });
});
