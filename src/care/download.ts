/**
 * Take my work away: "Download Module" in the palette, the File menu's neighbours and
 * the Modules panel's context menu. The zip streams from the server; a notification
 * follows its progress.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { downloadIcon } from '@jupyterlab/ui-components';

import { downloadModule } from '../api';
import { formatBytes } from '../format';
import { ModulesModel } from '../modules/model';
import { CARE_COMMANDS, TRANSLATION_DOMAIN } from '../tokens';

/** The Modules panel's row for a module carries its id; the context menu reads it. */
/** How long a download runs before its progress notification shows. */
const SHOW_PROGRESS_AFTER_MS = 700;

const MODULE_ROW = '.jp-coursekit-module[data-module-id]';

export function activateDownload(
  app: JupyterFrontEnd,
  model: ModulesModel,
  translator: ITranslator | null,
  palette: ICommandPalette | null
): void {
  const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
  const targetId = (args: { id?: unknown }): string | undefined => {
    if (typeof args.id === 'string') {
      return args.id;
    }
    const row = app.contextMenuHitTest(node => node.matches?.(MODULE_ROW)) as
      HTMLElement | undefined;
    if (row?.dataset.moduleId) {
      return row.dataset.moduleId;
    }
    const ready = model.readyModules;
    return ready.length === 1 ? ready[0].id : undefined;
  };
  const running = new Set<string>();

  app.commands.addCommand(CARE_COMMANDS.downloadModule, {
    label: args => {
      const id = typeof args.id === 'string' ? args.id : undefined;
      return id
        ? trans.__('Download Module %1', id)
        : trans.__('Download Module');
    },
    caption: trans.__(
      'Download the module folder as a zip, to keep your work after the presentation'
    ),
    icon: downloadIcon,
    isEnabled: args => {
      const id = targetId(args);
      return !!id && model.get(id)?.status === 'ready' && !running.has(id);
    },
    describedBy: {
      args: {
        type: 'object',
        properties: {
          id: {
            type: 'string',
            description:
              'The module, as CODE-PRESENTATION; default: the row clicked, or the only module'
          }
        }
      }
    },
    execute: async args => {
      const id = targetId(args);
      if (!id) {
        return;
      }
      running.add(id);
      // The progress notification appears only for a download that takes a while: a
      // toast updated or dismissed before it has mounted keeps its first state.
      let notice: string | null = null;
      let latest = trans.__('Preparing %1.zip…', id);
      let fraction = 0;
      const timer = setTimeout(() => {
        notice = Notification.emit(latest, 'in-progress', {
          autoClose: false,
          progress: fraction
        });
      }, SHOW_PROGRESS_AFTER_MS);
      const finish = () => {
        clearTimeout(timer);
        if (notice) {
          Notification.dismiss(notice);
        }
      };
      try {
        const blob = await downloadModule(
          model.serverSettings,
          id,
          (received, expected) => {
            latest = trans.__(
              'Downloading %1.zip: %2',
              id,
              formatBytes(received)
            );
            // The total is the files' size; the zip's headers make it run a little over.
            fraction = expected > 0 ? Math.min(received / expected, 0.99) : 0;
            if (notice) {
              Notification.update({
                id: notice,
                message: latest,
                type: 'in-progress',
                progress: fraction
              });
            }
          }
        );
        save(blob, `${id}.zip`);
        finish();
        Notification.success(
          trans.__('%1.zip downloaded (%2).', id, formatBytes(blob.size)),
          { autoClose: 5000 }
        );
      } catch (error) {
        finish();
        Notification.error(
          trans.__('Downloading %1 failed: %2', id, (error as Error).message),
          { autoClose: false }
        );
      } finally {
        running.delete(id);
      }
    }
  });

  app.contextMenu.addItem({
    command: CARE_COMMANDS.downloadModule,
    selector: MODULE_ROW,
    rank: 50
  });
  palette?.addItem({
    command: CARE_COMMANDS.downloadModule,
    category: trans.__('Course')
  });
}

/** Hand a blob to the browser as a file download. */
function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  anchor.style.display = 'none';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  // Give the browser a moment to start reading it before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
