/**
 * One module in the Modules panel: its workspace, and its course content (seeding).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs, IModule, ISeedReport, ISeedState } from '../tokens';
import { IModuleRowSection, isSeedActive } from './model';
import {
  describeProgress,
  IReportItem,
  reportItems,
  summarizeReport
} from './report';
import { SharedFolders } from './sharedFolders';

/** Items shown before "Show all": conflicts come first, so they are always visible. */
const FIRST_ITEMS = 5;

interface IModuleItemProps {
  module: IModule;
  commands: CommandRegistry;
  trans: TranslationBundle;
  /** The last seeding action's failure, if any. */
  actionError: string | null;
  /** Sections other features add to the row (ICourseModules.addRowSection). */
  sections?: readonly IModuleRowSection[];
}

export function ModuleItem(props: IModuleItemProps): JSX.Element {
  const { module, commands, trans, actionError, sections } = props;
  const ready = module.status === 'ready';
  return (
    <li className="jp-coursekit-module" data-module-id={module.id}>
      <div className="jp-coursekit-module-header">
        <div className="jp-coursekit-module-name">
          <span className="jp-coursekit-module-title">{module.title}</span>
          <span className="jp-coursekit-module-id">{module.id}</span>
        </div>
        <span
          className={`jp-coursekit-status jp-coursekit-status-${module.status}`}
        >
          {statusLabel(module, trans)}
        </span>
        <Button
          small
          className="jp-coursekit-open"
          disabled={!ready}
          title={trans.__('Open %1 in the file browser', module.path)}
          onClick={() =>
            void commands.execute(CommandIDs.openModule, { id: module.id })
          }
        >
          {trans.__('Open')}
        </Button>
      </div>
      {module.error && (
        <div className="jp-coursekit-error" role="alert">
          {module.error.message}{' '}
          <code className="jp-coursekit-code">{module.error.code}</code>
        </div>
      )}
      {ready && module.seed !== undefined && (
        <SeedSection
          module={module}
          seed={module.seed}
          commands={commands}
          trans={trans}
        />
      )}
      {actionError && (
        <div className="jp-coursekit-error" role="alert">
          {actionError}
        </div>
      )}
      {ready && (
        <SharedFolders
          folders={module.shared ?? []}
          commands={commands}
          trans={trans}
        />
      )}
      {ready &&
        (sections ?? []).map(section => (
          <div
            key={section.id}
            className="jp-coursekit-row-section"
            data-section={section.id}
          >
            {section.render(module)}
          </div>
        ))}
    </li>
  );
}

function statusLabel(module: IModule, trans: TranslationBundle): string {
  switch (module.status) {
    case 'ready':
      return trans.__('Ready');
    case 'pending':
      return trans.__('Preparing');
    default:
      return trans.__('Error');
  }
}

interface ISeedSectionProps {
  module: IModule;
  seed: ISeedState | null;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

function SeedSection(props: ISeedSectionProps): JSX.Element {
  const { module, seed, commands, trans } = props;
  const active = isSeedActive(seed);
  const run = (command: string) => () =>
    void commands.execute(command, { id: module.id });
  return (
    <div className="jp-coursekit-seed" data-seed-state={seed?.state ?? 'idle'}>
      {active && <SeedProgress seed={seed!} trans={trans} />}
      {!active && seed?.state === 'failed' && (
        <div className="jp-coursekit-error" role="alert">
          {trans.__(
            'Updating the course files failed: %1',
            seed.error?.message ?? ''
          )}
        </div>
      )}
      {!active && seed?.report && (
        <SeedReport
          module={module}
          report={seed.report}
          commands={commands}
          trans={trans}
        />
      )}
      {!active && !seed?.report && seed?.state !== 'failed' && (
        <div className="jp-coursekit-muted">
          {trans.__('The course files have not been copied in yet.')}
        </div>
      )}
      <div className="jp-coursekit-actions">
        <Button
          small
          minimal
          className="jp-coursekit-reseed"
          disabled={active}
          onClick={run(CommandIDs.reseed)}
        >
          {trans.__('Update')}
        </Button>
        <Button
          small
          minimal
          className="jp-coursekit-restore"
          disabled={active}
          onClick={run(CommandIDs.restoreDeleted)}
        >
          {trans.__('Restore deleted files')}
        </Button>
        <Button
          small
          minimal
          className="jp-coursekit-reset"
          disabled={active}
          onClick={run(CommandIDs.resetModule)}
        >
          {trans.__('Reset module')}
        </Button>
      </div>
    </div>
  );
}

function SeedProgress(props: {
  seed: ISeedState;
  trans: TranslationBundle;
}): JSX.Element {
  const { seed, trans } = props;
  const { fraction, label } =
    seed.state === 'queued'
      ? { fraction: null, label: trans.__('Waiting to start…') }
      : describeProgress(seed.progress, trans);
  const percent = fraction === null ? null : Math.round(fraction * 100);
  return (
    <div className="jp-coursekit-progress">
      <div
        className="jp-coursekit-progress-bar"
        role="progressbar"
        aria-label={trans.__('Copying course files')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
      >
        <div
          className={
            percent === null
              ? 'jp-coursekit-progress-fill jp-mod-indeterminate'
              : 'jp-coursekit-progress-fill'
          }
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
      <div className="jp-coursekit-muted">{label}</div>
    </div>
  );
}

function kindLabel(kind: IReportItem['kind'], trans: TranslationBundle) {
  const labels: Record<IReportItem['kind'], string> = {
    error: trans.__('error'),
    conflict: trans.__('conflict'),
    merged: trans.__('merged'),
    updated: trans.__('updated'),
    added: trans.__('new'),
    removed: trans.__('moved aside')
  };
  return labels[kind];
}

function SeedReport(props: {
  module: IModule;
  report: ISeedReport;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { module, report, commands, trans } = props;
  const [showAll, setShowAll] = React.useState(false);
  const items = reportItems(report, trans);
  const visible = showAll ? items : items.slice(0, FIRST_ITEMS);
  const open = (path: string) => () =>
    void commands.execute(CommandIDs.openModuleFile, { id: module.id, path });
  const finished = report.finished_at
    ? new Date(report.finished_at * 1000).toLocaleString()
    : '';
  return (
    <div className="jp-coursekit-report">
      <div className="jp-coursekit-report-summary" title={finished}>
        {summarizeReport(report, trans)}
      </div>
      {visible.length > 0 && (
        <ul className="jp-coursekit-report-items">
          {visible.map(item => (
            <li
              key={`${item.kind}:${item.path}`}
              className={`jp-coursekit-report-item jp-mod-${item.kind}`}
            >
              <span className="jp-coursekit-report-kind">
                {kindLabel(item.kind, trans)}
              </span>
              <button
                className="jp-coursekit-link"
                title={item.detail}
                onClick={open(item.path)}
              >
                {item.path}
              </button>
              {item.otherPath && (
                <button
                  className="jp-coursekit-link"
                  title={trans.__('The course version of this file')}
                  onClick={open(item.otherPath)}
                >
                  {trans.__('course copy')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {items.length > FIRST_ITEMS && (
        <button
          className="jp-coursekit-link"
          onClick={() => setShowAll(!showAll)}
        >
          {showAll
            ? trans.__('Show fewer')
            : trans.__('Show all %1', items.length)}
        </button>
      )}
    </div>
  );
}
