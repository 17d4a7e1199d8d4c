/**
 * Adds each module's nbgrader assignments to its row in the Modules panel.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';

import { ModulesModel } from '../modules/model';
import { TRANSLATION_DOMAIN } from '../tokens';
import { AssignmentsSection } from './section';

export function activateAssignments(
  app: JupyterFrontEnd,
  model: ModulesModel,
  translator: ITranslator | null
): void {
  const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
  model.addRowSection({
    id: 'assignments',
    rank: 50,
    render: module =>
      React.createElement(AssignmentsSection, {
        key: module.id,
        module,
        serverSettings: model.serverSettings,
        commands: app.commands,
        refreshed: model.refreshed,
        trans
      })
  });
}
