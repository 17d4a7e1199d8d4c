/**
 * The Modules side panel: every module with its workspace and content, and any
 * mistakes in the course manifests, located so the course team can fix them.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  ReactWidget,
  ToolbarButtonComponent,
  UseSignal,
  refreshIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { IManifestProblem, PANEL_ID } from '../tokens';
import { courseIcon } from './icons';
import { ModulesModel } from './model';
import { ModuleItem } from './moduleItem';

export class ModulesPanel extends ReactWidget {
  constructor(
    private readonly _model: ModulesModel,
    private readonly _commands: CommandRegistry,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-coursekit-panel');
    this.title.icon = courseIcon;
    this.title.caption = this._trans.__('Modules');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this._model.changed}>
        {() => (
          <ModulesView
            model={this._model}
            commands={this._commands}
            trans={this._trans}
          />
        )}
      </UseSignal>
    );
  }
}

interface IModulesViewProps {
  model: ModulesModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

function ModulesView(props: IModulesViewProps): JSX.Element {
  const { model, commands, trans } = props;
  return (
    <>
      <div className="jp-coursekit-panel-header">
        <h2 className="jp-coursekit-panel-title">{trans.__('Modules')}</h2>
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Refresh the module list')}
          onClick={() => void model.refresh()}
        />
      </div>
      <div className="jp-coursekit-panel-body">
        {model.loadError && (
          <div className="jp-coursekit-error" role="alert">
            {trans.__('The module list could not be read: %1', model.loadError)}
          </div>
        )}
        {!model.loaded && (
          <div className="jp-coursekit-muted">{trans.__('Loading…')}</div>
        )}
        {model.loaded && !model.loadError && model.modules.length === 0 && (
          <div className="jp-coursekit-muted">
            {trans.__(
              'No modules are set up for you. If you expected some, tell your tutor.'
            )}
          </div>
        )}
        {model.modules.length > 0 && (
          <ul className="jp-coursekit-modules">
            {model.modules.map(module => (
              <ModuleItem
                key={module.id}
                module={module}
                commands={commands}
                trans={trans}
                actionError={model.actionError(module.id)}
                sections={model.rowSections}
              />
            ))}
          </ul>
        )}
        {model.problems.length > 0 && (
          <ManifestProblems problems={model.problems} trans={trans} />
        )}
      </div>
    </>
  );
}

function ManifestProblems(props: {
  problems: readonly IManifestProblem[];
  trans: TranslationBundle;
}): JSX.Element {
  const { problems, trans } = props;
  return (
    <section className="jp-coursekit-problems" role="alert">
      <h3 className="jp-coursekit-problems-title">
        {trans._n(
          '%1 problem in the course manifests',
          '%1 problems in the course manifests',
          problems.length
        )}
      </h3>
      <ul>
        {problems.map((problem, index) => (
          <li key={index} className="jp-coursekit-problem">
            <code className="jp-coursekit-problem-location">
              {problem.line ? `${problem.file}:${problem.line}` : problem.file}
            </code>
            {problem.path && (
              <code className="jp-coursekit-problem-path">{problem.path}</code>
            )}
            <span className="jp-coursekit-problem-message">
              {problem.message}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
