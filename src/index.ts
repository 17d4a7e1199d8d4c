/**
 * The coursekit plugins. Each activate() delegates to src/modules/activate.ts.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation needs it at once
import {
  activateLauncher,
  activateModules,
  activatePanel
} from './modules/activate';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- the row section is registered at once
import { activateAssignments } from './assignments/plugin';
import { ModulesModel } from './modules/model';
import {
  ICourseModules,
  ASSIGNMENTS_PLUGIN_ID,
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

export default [modulesPlugin, launcherPlugin, panelPlugin, assignmentsPlugin];
export { ICourseModules } from './tokens';
