/**
 * The "Course" launcher section: one card per ready module, kept in step with the model.
 */
import { ILauncher } from '@jupyterlab/launcher';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  DisposableDelegate,
  DisposableSet,
  IDisposable
} from '@lumino/disposable';

import { CommandIDs } from '../tokens';
import { ModulesModel } from './model';

/** Below Notebook's default 0, so the Course section comes first. */
const COURSE_CATEGORY_RANK = -100;

export function addLauncherCards(
  launcher: ILauncher,
  model: ModulesModel,
  trans: TranslationBundle
): IDisposable {
  const category = trans.__('Course');
  let cards = new DisposableSet();
  let shown: string | null = null;

  const sync = () => {
    // A module with a workspace error gets no card: the Modules panel says why.
    const ready = model.readyModules;
    const key = ready.map(module => `${module.id}\n${module.title}`).join('\n');
    if (key === shown) {
      return; // progress ticks change the model, not the cards
    }
    shown = key;
    cards.dispose();
    cards = new DisposableSet();
    ready.forEach((module, index) => {
      cards.add(
        launcher.add({
          command: CommandIDs.openModule,
          args: { id: module.id },
          category,
          rank: index,
          categoryRank: COURSE_CATEGORY_RANK
        })
      );
    });
  };

  sync();
  model.changed.connect(sync);
  return new DisposableDelegate(() => {
    model.changed.disconnect(sync);
    cards.dispose();
  });
}
