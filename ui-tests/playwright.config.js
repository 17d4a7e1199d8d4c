/**
 * Galata's Playwright configuration, with Debian's Chromium (Playwright's own browser
 * download is not available here) and a Jupyter server from jupyter_server_test_config.py.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// COURSEKIT_UI_PORT lets two checkouts run their UI tests side by side.
const port = process.env.COURSEKIT_UI_PORT || '8888';

module.exports = {
  ...baseConfig,
  reporter: [[process.env.CI ? 'github' : 'list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    // Video needs Playwright's ffmpeg download, which is not available here.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  // One JupyterLab server and one course home: specs that reseed or reset must not race.
  workers: 1,
  // Snapshots are taken on this machine's fonts and Chromium; keep them next to the specs.
  snapshotPathTemplate:
    '{testDir}/{testFileDir}/{testFileName}-snapshots/{arg}{ext}',
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
