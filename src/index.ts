/**
 * The coursekit plugins. Each activate() delegates to src/modules/activate.ts.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation needs it at once
import { activateBranding } from './branding/activate';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation needs it at once
import {
  activateLauncher,
  activateModules,
  activatePanel
} from './modules/activate';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- the row section is registered at once
import { activateAssignments } from './assignments/plugin';
import { ModulesModel } from './modules/model';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- registers commands and menu items at activation
import { activateDownload } from './care/download';
import {
  DISK_USAGE_PLUGIN_ID,
  DOWNLOAD_PLUGIN_ID,
  IDLE_PLUGIN_ID,
  TRANSLATION_DOMAIN,
  WELCOME_PLUGIN_ID
} from './tokens';
import {
  ASSIGNMENTS_PLUGIN_ID,
  BRANDING_PLUGIN_ID,
  ICourseModules,
  LAUNCHER_PLUGIN_ID,
  PANEL_PLUGIN_ID,
  PLUGIN_ID
} from './tokens';

/** The module model, the commands, and opening the only module at startup. */
const modulesPlugin: JupyterFrontEndPlugin<ModulesModel> = {
  id: PLUGIN_ID,
  description: "The student's course modules: model, commands and settings.",
  autoStart: true,
  provides: ICourseModules,
  requires: [IDefaultFileBrowser],
  optional: [ITranslator, ISettingRegistry, ICommandPalette, IDocumentManager],
  activate: (
    app: JupyterFrontEnd,
    browser: IDefaultFileBrowser,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    docManager: IDocumentManager | null
  ) =>
    activateModules(
      app,
      browser,
      translator,
      settingRegistry,
      palette,
      docManager
    )
};

/** The "Course" launcher section: one card per module. */
const launcherPlugin: JupyterFrontEndPlugin<void> = {
  id: LAUNCHER_PLUGIN_ID,
  description: 'A launcher card for each course module.',
  autoStart: true,
  requires: [ILauncher, ICourseModules],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher,
    model: ModulesModel,
    translator: ITranslator | null
  ) => activateLauncher(launcher, model, translator)
};

/** The Modules side panel. */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PANEL_PLUGIN_ID,
  description: 'The Modules side panel: workspaces, course content, problems.',
  autoStart: true,
  requires: [ICourseModules],
  optional: [ITranslator, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: ModulesModel,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null
  ) => {
    activatePanel(app, model, translator, restorer);
  }
};

/** The institution's and the module's look, Help links, About, locked settings. */
const brandingPlugin: JupyterFrontEndPlugin<void> = {
  id: BRANDING_PLUGIN_ID,
  description:
    'Branding from the course: logo, colours, tab name, Help links, About, locked settings.',
  autoStart: true,
  optional: [ITranslator, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    themeManager: IThemeManager | null
  ) => {
    void activateBranding(app, translator, themeManager);
  }
};

/** Take my work away: "Download Module" (palette, Modules panel context menu). */
const downloadPlugin: JupyterFrontEndPlugin<void> = {
  id: DOWNLOAD_PLUGIN_ID,
  description: 'Download a module folder as a zip, with progress.',
  autoStart: true,
  requires: [ICourseModules],
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: ModulesModel,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ) => activateDownload(app, model, translator, palette)
};

/** The idle warning before the hub's culler stops the server, and why it stopped. */
const idlePlugin: JupyterFrontEndPlugin<void> = {
  id: IDLE_PLUGIN_ID,
  description:
    'Warn before the server is stopped for inactivity; say why it stopped.',
  autoStart: true,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null) => {
    // Loaded after the application has started: nothing to show before that.
    void app.started.then(async () => {
      const { IdleWatch } = await import('./care/idle');
      const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
      await new IdleWatch(app.serviceManager.serverSettings, trans).start();
    });
  }
};

/** My usage: the home's disk use against its real quota, in the status bar. */
const diskUsagePlugin: JupyterFrontEndPlugin<void> = {
  id: DISK_USAGE_PLUGIN_ID,
  description: "The home's disk use against its real quota, in the status bar.",
  autoStart: true,
  optional: [IStatusBar, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    translator: ITranslator | null
  ) => {
    if (!statusBar) {
      return;
    }
    void app.started.then(async () => {
      const { DiskUsageItem } = await import('./care/diskUsage');
      const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
      statusBar.registerStatusItem(DISK_USAGE_PLUGIN_ID, {
        item: new DiskUsageItem(app.serviceManager.serverSettings, trans),
        align: 'left',
        rank: 2
      });
    });
  }
};

/** Welcome back: what changed in each module since the last visit. */
const welcomePlugin: JupyterFrontEndPlugin<void> = {
  id: WELCOME_PLUGIN_ID,
  description: 'A summary of what changed in each module since the last visit.',
  autoStart: true,
  requires: [ICourseModules],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: ModulesModel,
    translator: ITranslator | null
  ) => {
    void app.restored.then(async () => {
      const { showWelcomeBack } = await import('./care/welcome');
      const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
      await showWelcomeBack(model, app.commands, trans).catch(error =>
        console.warn('coursekit: welcome-back summary unavailable', error)
      );
    });
  }
};

/** Each module's nbgrader assignments, in its row of the Modules panel. */
const assignmentsPlugin: JupyterFrontEndPlugin<void> = {
  id: ASSIGNMENTS_PLUGIN_ID,
  description:
    "A module's nbgrader assignments in the Modules panel: fetch, validate, submit, feedback.",
  autoStart: true,
  requires: [ICourseModules],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: ModulesModel,
    translator: ITranslator | null
  ) => activateAssignments(app, model, translator)
};

export default [
  modulesPlugin,
  launcherPlugin,
  panelPlugin,
  downloadPlugin,
  idlePlugin,
  diskUsagePlugin,
  welcomePlugin,
  brandingPlugin,
  assignmentsPlugin
];
export { ICourseModules } from './tokens';
