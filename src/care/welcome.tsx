/**
 * Welcome back: on opening JupyterLab after a gap, a dismissible summary per module of
 * what changed since the last visit (GET coursekit/api/welcome). Each file is one click
 * away. Then now becomes the last visit.
 */
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { getWelcome, welcomeSeen } from '../api';
import { isSeedActive, ModulesModel } from '../modules/model';
import { CommandIDs, IWelcome, IWelcomeModule } from '../tokens';

/** How long to wait for the start-up seeds, whose reports are the course updates. */
const SEED_WAIT_MS = 60_000;

export async function showWelcomeBack(
  model: ModulesModel,
  commands: CommandRegistry,
  trans: TranslationBundle
): Promise<void> {
  await seedsSettled(model);
  const summary = await getWelcome(model.serverSettings);
  if (summary.show) {
    const body = ReactWidget.create(
      <WelcomeBody summary={summary} commands={commands} trans={trans} />
    );
    body.addClass('jp-coursekit-welcome');
    await showDialog({
      title: trans.__('Welcome back'),
      body,
      buttons: [Dialog.okButton({ label: trans.__('Got it') })],
      hasClose: true
    });
  }
  await welcomeSeen(model.serverSettings);
}

function seedsSettled(model: ModulesModel): Promise<void> {
  return new Promise(resolve => {
    const done = () =>
      model.loaded && !model.modules.some(m => isSeedActive(m.seed));
    if (done()) {
      resolve();
      return;
    }
    const timer = setTimeout(finish, SEED_WAIT_MS);
    function finish() {
      clearTimeout(timer);
      model.changed.disconnect(check);
      resolve();
    }
    function check() {
      if (done()) {
        finish();
      }
    }
    model.changed.connect(check);
  });
}

interface IWelcomeProps {
  summary: IWelcome;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

function WelcomeBody(props: IWelcomeProps): JSX.Element {
  const { summary, trans } = props;
  const since = summary.last_visit ? new Date(summary.last_visit) : null;
  return (
    <div>
      {since && (
        <p className="jp-coursekit-muted">
          {trans.__('Since your last visit on %1:', since.toLocaleString())}
        </p>
      )}
      {summary.modules
        .filter(m => m.has_news || m.problem)
        .map(m => (
          <ModuleNews key={m.id} module={m} {...props} />
        ))}
    </div>
  );
}

function ModuleNews(
  props: IWelcomeProps & { module: IWelcomeModule }
): JSX.Element {
  const { module, commands, trans } = props;
  const open = (path: string) => () =>
    void commands.execute(CommandIDs.openModuleFile, { id: module.id, path });
  const files = (label: string, paths: string[], total: number) =>
    total > 0 && (
      <li>
        {trans.__('%1:', label)}{' '}
        {paths.map((path, index) => (
          <React.Fragment key={path}>
            {index > 0 && ', '}
            <button className="jp-coursekit-link" onClick={open(path)}>
              {path}
            </button>
          </React.Fragment>
        ))}
        {total > paths.length && trans.__(' and %1 more', total - paths.length)}
      </li>
    );
  const updates = module.updates;
  return (
    <section className="jp-coursekit-welcome-module" data-module-id={module.id}>
      <h3>
        {module.title}{' '}
        <span className="jp-coursekit-module-id">{module.id}</span>
      </h3>
      {module.announcements.map(a => (
        <div key={a.date + a.title} className="jp-coursekit-announcement">
          <strong>{a.title}</strong>{' '}
          <span className="jp-coursekit-muted">
            {new Date(a.date).toLocaleDateString()}
          </span>
          {a.text && <div>{a.text}</div>}
        </div>
      ))}
      {updates && (
        <ul className="jp-coursekit-welcome-updates">
          {files(
            trans.__('Course files updated'),
            updates.updated,
            updates.counts.updated
          )}
          {files(
            trans.__('Course changes merged into your copy'),
            updates.merged,
            updates.counts.merged
          )}
          {files(
            trans.__('New course files'),
            updates.added,
            updates.counts.added
          )}
          {files(
            trans.__(
              'Changed by both you and the course (the course copy is beside yours)'
            ),
            updates.conflicts,
            updates.counts.conflicts
          )}
        </ul>
      )}
      {module.items.length > 0 && (
        <ul>
          {module.items.map((item, index) => (
            <li key={index} data-kind={item.kind}>
              {item.path ? (
                <button className="jp-coursekit-link" onClick={open(item.path)}>
                  {item.text}
                </button>
              ) : (
                item.text
              )}
            </li>
          ))}
        </ul>
      )}
      {module.problem && (
        <div className="jp-coursekit-error" role="alert">
          {module.problem}
        </div>
      )}
    </section>
  );
}
