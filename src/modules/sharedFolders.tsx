/**
 * A module's course shared folders in its Modules panel row: what staff share with the
 * class, whether this server may write there, and a way to open each one.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, folderIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { ISharedFolder } from '../tokens';

interface ISharedFoldersProps {
  folders: readonly ISharedFolder[];
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export function SharedFolders(props: ISharedFoldersProps): JSX.Element | null {
  const { folders, commands, trans } = props;
  if (folders.length === 0) {
    return null;
  }
  return (
    <ul
      className="jp-coursekit-shared"
      aria-label={trans.__('Course shared folders')}
    >
      {folders.map(folder => (
        <li
          key={folder.name}
          className="jp-coursekit-shared-folder"
          data-shared={folder.name}
          data-status={folder.status}
        >
          <div className="jp-coursekit-shared-header">
            <folderIcon.react tag="span" className="jp-coursekit-shared-icon" />
            <span className="jp-coursekit-shared-title">{folder.title}</span>
            {folder.status === 'ready' && (
              <span className="jp-coursekit-shared-access">
                {folder.writable
                  ? trans.__('You can edit')
                  : trans.__('Read-only')}
              </span>
            )}
            <Button
              small
              minimal
              className="jp-coursekit-shared-open"
              disabled={folder.status !== 'ready'}
              title={trans.__('Open %1 in the file browser', folder.path)}
              onClick={() =>
                void commands.execute('filebrowser:go-to-path', {
                  path: folder.path
                })
              }
            >
              {trans.__('Open')}
            </Button>
          </div>
          {folder.status !== 'ready' && (
            <div className="jp-coursekit-muted" role="status">
              {folder.message}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
