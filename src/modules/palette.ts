/**
 * The Course category of the command palette: the module commands once, and one
 * "Open Module" item per module, kept in step with the model.
 */
import { DisposableDelegate, DisposableSet } from '@lumino/disposable';

import { CommandIDs } from '../tokens';
import { ICommandContext } from './commands';

/** Palette entries: the module-agnostic commands once, one "Open Module" per module. */
export function addPaletteItems(context: ICommandContext): DisposableSet {
  const { palette, model, trans } = context;
  const disposables = new DisposableSet();
  if (!palette) {
    return disposables;
  }
  const category = trans.__('Course');
  for (const command of [
    CommandIDs.showModules,
    CommandIDs.reseed,
    CommandIDs.restoreDeleted,
    CommandIDs.resetModule
  ]) {
    disposables.add(palette.addItem({ command, category }));
  }
  let perModule = new DisposableSet();
  let shown = '';
  const syncModules = () => {
    // The model changes on every progress tick; rebuild only when the modules do.
    const key = model.readyModules.map(module => module.id).join('\n');
    if (key === shown && !perModule.isDisposed) {
      return;
    }
    shown = key;
    perModule.dispose();
    perModule = new DisposableSet();
    for (const module of model.readyModules) {
      perModule.add(
        palette.addItem({
          command: CommandIDs.openModule,
          args: { id: module.id },
          category
        })
      );
    }
  };
  perModule.dispose(); // so the first sync builds even with no modules
  syncModules();
  model.changed.connect(syncModules);
  disposables.add(
    new DisposableDelegate(() => {
      model.changed.disconnect(syncModules);
      perModule.dispose();
    })
  );
  return disposables;
}
