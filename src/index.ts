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
import { ITranslator } from '@jupyterlab/translation';

// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation needs it at once
import { activateBranding } from './branding/activate';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation needs it at once
import {
  activateLauncher,
  activateModules,
  activatePanel
} from './modules/activate';
import { ModulesModel } from './modules/model';
import {
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

export default [modulesPlugin, launcherPlugin, panelPlugin, brandingPlugin];
export { ICourseModules } from './tokens';
