/**
 * What each coursekit plugin does when JupyterLab activates it.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CommandIDs, PLUGIN_ID, TRANSLATION_DOMAIN } from '../tokens';
import { addCommands, ICommandContext, openModule } from './commands';
import { addLauncherCards } from './launcher';
import { ModulesModel, startupModule } from './model';
import { addPaletteItems } from './palette';
import { ModulesPanel } from './panel';

/** Where the Modules panel sits in the left area: after the file browser. */
const PANEL_RANK = 150;

/**
 * Commands that move the file browser. A move counts from the moment one is run, not when
 * its folder's listing arrives: the browser queues a later cd behind a pending one, so a
 * startup cd issued meanwhile would land last and take the student away (an assignment
 * fetched and shown while the module list was on its way, seen in CI).
 */
const NAVIGATING_COMMANDS = new Set([
  'filebrowser:go-to-path',
  'filebrowser:open-path',
  'filebrowser:open',
  'filebrowser:go-up',
  CommandIDs.openModule
]);

export function activateModules(
  app: JupyterFrontEnd,
  browser: IDefaultFileBrowser,
  translator: ITranslator | null,
  settingRegistry: ISettingRegistry | null,
  palette: ICommandPalette | null,
  docManager: IDocumentManager | null
): ModulesModel {
  const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
  const model = new ModulesModel({
    serverSettings: app.serviceManager.serverSettings
  });
  const context: ICommandContext = {
    app,
    model,
    browser,
    trans,
    docManager,
    palette
  };
  addCommands(context);
  addPaletteItems(context);
  // Captured now: the router rewrites the URL to /lab once it has opened the path.
  const treePath = openedTreePath();
  void openModuleOnStart(context, settingRegistry, treePath, model.refresh());
  return model;
}

export function activateLauncher(
  launcher: ILauncher,
  model: ModulesModel,
  translator: ITranslator | null
): void {
  addLauncherCards(
    launcher,
    model,
    (translator ?? nullTranslator).load(TRANSLATION_DOMAIN)
  );
}

export function activatePanel(
  app: JupyterFrontEnd,
  model: ModulesModel,
  translator: ITranslator | null,
  restorer: ILayoutRestorer | null
): ModulesPanel {
  const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
  const panel = new ModulesPanel(model, app.commands, trans);
  app.shell.add(panel, 'left', { rank: PANEL_RANK });
  restorer?.add(panel, panel.id);
  return panel;
}

/** The path in a `/lab/tree/<path>` URL, or null when the page opened on no path. */
function openedTreePath(): string | null {
  const fromServer = PageConfig.getOption('treePath');
  if (fromServer) {
    return fromServer;
  }
  const match = /\/tree\/(.+)$/.exec(window.location.pathname);
  return match ? decodeURIComponent(match[1]) : null;
}

async function openModuleOnStart(
  context: ICommandContext,
  settingRegistry: ISettingRegistry | null,
  treePath: string | null,
  loaded: Promise<void>
): Promise<void> {
  const { app, browser, model } = context;
  let moved = false;
  const noteMove = () => {
    moved = true;
  };
  const noteNavigation = (
    _: unknown,
    executed: { id: string; args: unknown }
  ) => {
    if (NAVIGATING_COMMANDS.has(executed.id)) {
      moved = true;
    }
  };
  // Commands count from activation: one run before the layout is restored (an assignment
  // fetched while a slow start still restores it, seen in CI) still moves the browser
  // once it is restored, just ahead of the startup step below.
  app.commands.commandExecuted.connect(noteNavigation);
  try {
    // After the restored layout and the browser's own restored path, so ours wins over
    // them; path changes count only from then, as the restore itself makes one.
    await Promise.all([app.restored, browser.model.restored]);
    browser.model.pathChanged.connect(noteMove);
    let enabled = true;
    if (settingRegistry) {
      try {
        const settings = await settingRegistry.load(PLUGIN_ID);
        enabled = settings.get('openModuleOnStart').composite !== false;
      } catch (error) {
        console.warn('coursekit: cannot read settings; using defaults', error);
      }
    }
    await loaded;
    // Let a listing already on its way land first: the browser runs two cds queued behind
    // the same listing at once, so ours could land after a move the student makes meanwhile.
    await browser.model.refresh().catch(() => undefined);
    // But not over the student's own move while the settings and the module list were on
    // their way (a slow start, an assignment fetched and shown): that would lose their place.
    const module = startupModule(model.modules, treePath);
    if (enabled && !moved && module) {
      await openModule(context, module, { reveal: false });
    }
  } finally {
    browser.model.pathChanged.disconnect(noteMove);
    app.commands.commandExecuted.disconnect(noteNavigation);
  }
}
