/**
 * The coursekit commands. The launcher cards, the Modules panel and the command palette
 * all go through these, so each action has one implementation.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  MainAreaWidget,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileBrowser } from '@jupyterlab/filebrowser';
import { Launcher } from '@jupyterlab/launcher';
import { TranslationBundle } from '@jupyterlab/translation';
import { DisposableSet } from '@lumino/disposable';

import { CommandIDs, IModule, PANEL_ID } from '../tokens';
import { courseIcon } from './icons';
import { ModulesModel } from './model';

export interface ICommandContext {
  app: JupyterFrontEnd;
  model: ModulesModel;
  browser: FileBrowser;
  trans: TranslationBundle;
  docManager: IDocumentManager | null;
  palette: ICommandPalette | null;
}

/** The arguments of the module commands, for describedBy. */
const MODULE_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      id: {
        type: 'string' as const,
        description:
          'The module, as CODE-PRESENTATION; default: the one the file browser is in'
      }
    }
  }
};

const MODULE_FILE_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      ...MODULE_ARGS.args.properties,
      path: {
        type: 'string' as const,
        description: 'A file path relative to the module folder'
      }
    },
    required: ['path']
  }
};

/**
 * cd the default file browser into the module folder and show it. Launchers showing the
 * old folder follow, so a notebook started from them starts in the module too.
 */
export async function openModule(
  context: ICommandContext,
  module: IModule,
  options: { reveal: boolean } = { reveal: true }
): Promise<void> {
  const { app, browser } = context;
  const previous = browser.model.path;
  await browser.model.cd(`/${module.path}`);
  for (const widget of app.shell.widgets('main')) {
    const content = widget instanceof MainAreaWidget ? widget.content : widget;
    if (content instanceof Launcher && content.cwd === previous) {
      content.cwd = browser.model.path;
    }
  }
  if (options.reveal) {
    app.shell.activateById(browser.id);
  }
}

/** The module a command acts on: its `id` arg, else the one the browser is in, else the only one. */
function targetModule(
  context: ICommandContext,
  args: { id?: unknown }
): IModule | undefined {
  const { model, browser } = context;
  if (typeof args.id === 'string') {
    return model.get(args.id);
  }
  const ready = model.readyModules;
  return (
    model.moduleAt(browser.model.path) ??
    (ready.length === 1 ? ready[0] : undefined)
  );
}

function moduleLabel(module: IModule): string {
  return `${module.title} (${module.id})`;
}

function notifyFailure(trans: TranslationBundle, what: string, error: unknown) {
  Notification.error(
    trans.__('%1 failed: %2', what, (error as Error).message),
    {
      autoClose: false
    }
  );
}

export function addCommands(context: ICommandContext): DisposableSet {
  const { app, model, browser, trans, docManager } = context;
  const disposables = new DisposableSet();
  const seedable = (args: { id?: unknown }) => {
    const module = targetModule(context, args);
    return !!module && model.canSeed(module.id);
  };
  const withId = (text: string, args: { id?: unknown }) => {
    const module = targetModule(context, args);
    return module ? trans.__('%1 (%2)', text, module.id) : text;
  };

  disposables.add(
    app.commands.addCommand(CommandIDs.openModule, {
      describedBy: MODULE_ARGS,
      label: args => {
        const module = targetModule(context, args);
        if (!module) {
          return trans.__('Open Module');
        }
        return args.isPalette
          ? trans.__('Open Module %1', moduleLabel(module))
          : moduleLabel(module);
      },
      caption: args => targetModule(context, args)?.description ?? '',
      icon: courseIcon,
      isEnabled: args => targetModule(context, args)?.status === 'ready',
      execute: async args => {
        const module = targetModule(context, args);
        if (!module || module.status !== 'ready') {
          app.shell.activateById(PANEL_ID);
          return;
        }
        await openModule(context, module);
      }
    })
  );

  disposables.add(
    app.commands.addCommand(CommandIDs.showModules, {
      describedBy: { args: { type: 'object', properties: {} } },
      label: trans.__('Show Modules'),
      caption: trans.__('Your course modules and their content'),
      icon: args => (args.isPalette ? undefined : courseIcon),
      execute: () => app.shell.activateById(PANEL_ID)
    })
  );

  disposables.add(
    app.commands.addCommand(CommandIDs.reseed, {
      describedBy: MODULE_ARGS,
      label: args => withId(trans.__('Update Course Content'), args),
      caption: trans.__('Fetch the latest course files into the module folder'),
      isEnabled: seedable,
      execute: async args => {
        const module = targetModule(context, args);
        if (!module) {
          return;
        }
        try {
          await model.startSeed(module.id);
        } catch (error) {
          notifyFailure(trans, trans.__('Updating %1', module.id), error);
        }
      }
    })
  );

  disposables.add(
    app.commands.addCommand(CommandIDs.restoreDeleted, {
      describedBy: MODULE_ARGS,
      label: args => withId(trans.__('Restore Deleted Files'), args),
      caption: trans.__(
        'Put back the course files you deleted; a changed file is moved aside first'
      ),
      isEnabled: seedable,
      execute: async args => {
        const module = targetModule(context, args);
        if (!module) {
          return;
        }
        try {
          const result = await model.restore(module.id, null);
          const message =
            result.restored.length === 0
              ? trans.__('No deleted course files to restore in %1.', module.id)
              : trans._n(
                  'Restored %1 file in %2.',
                  'Restored %1 files in %2.',
                  result.restored.length,
                  module.id
                );
          const moved = result.backups.map(
            backup => `${backup.path} → ${backup.moved_to}`
          );
          Notification.success(
            moved.length > 0
              ? `${message} ${trans.__('Moved aside: %1', moved.join(', '))}`
              : message,
            { autoClose: moved.length > 0 ? false : 5000 }
          );
          await browser.model.refresh();
        } catch (error) {
          notifyFailure(
            trans,
            trans.__('Restoring files in %1', module.id),
            error
          );
        }
      }
    })
  );

  disposables.add(
    app.commands.addCommand(CommandIDs.resetModule, {
      describedBy: MODULE_ARGS,
      label: args => withId(trans.__('Reset Module…'), args),
      caption: trans.__(
        'Move the module folder to a backup and start again from the course files'
      ),
      isEnabled: seedable,
      execute: async args => {
        const module = targetModule(context, args);
        if (!module) {
          return;
        }
        const answer = await showDialog({
          title: trans.__('Reset %1?', module.id),
          body: trans.__(
            'The folder %1 will be moved to a backup folder next to it (%1.backup-<date>) and the course files copied in fresh. Nothing is deleted: your work stays in the backup.',
            module.path
          ),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.warnButton({ label: trans.__('Reset module') })
          ]
        });
        if (!answer.button.accept) {
          return;
        }
        try {
          const result = await model.reset(module.id);
          Notification.success(
            trans.__(
              '%1 was reset. Your previous work is in %2.',
              module.id,
              result.backup
            ),
            { autoClose: false }
          );
          await browser.model.refresh();
        } catch (error) {
          notifyFailure(trans, trans.__('Resetting %1', module.id), error);
        }
      }
    })
  );

  disposables.add(
    app.commands.addCommand(CommandIDs.openModuleFile, {
      describedBy: MODULE_FILE_ARGS,
      label: args => trans.__('Open %1', String(args.path ?? '')),
      execute: async args => {
        const module = targetModule(context, args);
        if (!module || typeof args.path !== 'string') {
          return;
        }
        const path = PathExt.join(module.path, args.path);
        if (docManager) {
          docManager.openOrReveal(path);
        } else {
          await app.commands.execute('docmanager:open', { path });
        }
      }
    })
  );

  return disposables;
}
