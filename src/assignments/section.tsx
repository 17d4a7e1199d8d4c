/**
 * A module's nbgrader assignments, as a section of its row in the Modules panel: fetch,
 * validate, submit (with a receipt), and open the feedback.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { APIError, assignmentAction, getAssignments } from '../api';
import {
  IAssignment,
  IModule,
  ISubmissionReceipt,
  IValidateResult
} from '../tokens';

/** Codes meaning "this server has no exchange": the section then shows nothing. */
const NO_EXCHANGE = new Set(['exchange-not-configured']);

interface ISectionProps {
  module: IModule;
  serverSettings: ServerConnection.ISettings;
  commands: CommandRegistry;
  /** Emitted when the module list is read again: the assignments are read again too. */
  refreshed: ISignal<unknown, void>;
  trans: TranslationBundle;
}

type Action = 'fetch' | 'validate' | 'submit' | 'feedback';

type Busy = { assignment: string; action: Action } | null;

export function AssignmentsSection(props: ISectionProps): JSX.Element | null {
  const { module, serverSettings, commands, refreshed, trans } = props;
  const [assignments, setAssignments] = React.useState<IAssignment[] | null>(
    null
  );
  const [hidden, setHidden] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState<Busy>(null);
  const [receipts, setReceipts] = React.useState<
    Record<string, ISubmissionReceipt>
  >({});
  const [validation, setValidation] = React.useState<
    Record<string, IValidateResult>
  >({});

  const load = React.useCallback(async () => {
    try {
      const answer = await getAssignments(serverSettings, module.id);
      // An action's error stays until the next action; a fresh list does not clear it.
      setAssignments(answer.assignments);
    } catch (err) {
      if (err instanceof APIError && NO_EXCHANGE.has(err.code)) {
        setHidden(true);
      } else {
        setError((err as Error).message);
      }
    }
  }, [module.id, serverSettings]);

  React.useEffect(() => {
    void load();
  }, [load]);

  // The panel's Refresh: without this a student told that feedback is ready would not
  // see it until JupyterLab is reloaded.
  React.useEffect(() => {
    const reload = (): void => void load();
    refreshed.connect(reload);
    return () => {
      refreshed.disconnect(reload);
    };
  }, [load, refreshed]);

  const act = async (
    assignment: IAssignment,
    action: Action
  ): Promise<void> => {
    setBusy({ assignment: assignment.id, action });
    setError(null);
    try {
      if (action === 'submit') {
        const receipt = await assignmentAction(
          serverSettings,
          module.id,
          assignment.id,
          'submit'
        );
        setReceipts({ ...receipts, [assignment.id]: receipt });
      } else if (action === 'validate') {
        const result = await assignmentAction(
          serverSettings,
          module.id,
          assignment.id,
          'validate'
        );
        setValidation({ ...validation, [assignment.id]: result });
      } else if (action === 'feedback') {
        const result = await assignmentAction(
          serverSettings,
          module.id,
          assignment.id,
          'feedback'
        );
        const latest = result.feedback[result.feedback.length - 1];
        for (const path of latest?.html ?? []) {
          await commands.execute('docmanager:open', { path });
        }
      } else {
        await assignmentAction(
          serverSettings,
          module.id,
          assignment.id,
          'fetch'
        );
        // Show the folder, without holding the section up on the file browser.
        void commands
          .execute('filebrowser:go-to-path', { path: assignment.path })
          .catch(reason => console.warn('coursekit: cannot show', reason));
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
      await load();
    }
  };

  if (hidden) {
    return null;
  }
  return (
    <div className="jp-coursekit-assignments">
      <div className="jp-coursekit-assignments-title">
        {trans.__('Assignments')}
      </div>
      {error && (
        <div className="jp-coursekit-error" role="alert">
          {error}
        </div>
      )}
      {assignments === null && !error && (
        <div className="jp-coursekit-muted">{trans.__('Loading…')}</div>
      )}
      {assignments?.length === 0 && (
        <div className="jp-coursekit-muted">
          {trans.__('No assignments released yet.')}
        </div>
      )}
      <ul className="jp-coursekit-assignment-list">
        {(assignments ?? []).map(assignment => (
          <AssignmentRow
            key={assignment.id}
            assignment={assignment}
            busy={busy?.assignment === assignment.id ? busy.action : null}
            receipt={receipts[assignment.id] ?? null}
            validation={validation[assignment.id] ?? null}
            onAction={action => void act(assignment, action)}
            trans={trans}
          />
        ))}
      </ul>
    </div>
  );
}

interface IRowProps {
  assignment: IAssignment;
  busy: Action | null;
  receipt: ISubmissionReceipt | null;
  validation: IValidateResult | null;
  onAction(action: Action): void;
  trans: TranslationBundle;
}

function AssignmentRow(props: IRowProps): JSX.Element {
  const { assignment, busy, receipt, validation, onAction, trans } = props;
  const fetched = assignment.status !== 'released';
  const due = assignment.due ? new Date(assignment.due).toLocaleString() : null;
  return (
    <li
      className="jp-coursekit-assignment"
      data-assignment={assignment.id}
      data-status={assignment.status}
    >
      <div className="jp-coursekit-assignment-header">
        <span className="jp-coursekit-assignment-name">{assignment.id}</span>
        <span className="jp-coursekit-assignment-status">
          {statusLabel(assignment, trans)}
        </span>
      </div>
      {due && (
        <div className="jp-coursekit-muted">{trans.__('Due %1', due)}</div>
      )}
      <div className="jp-coursekit-actions">
        <Button
          small
          className="jp-coursekit-fetch"
          disabled={
            !!busy || (fetched && assignment.missing_files.length === 0)
          }
          title={
            fetched
              ? trans.__('Fetch only the files you do not have')
              : trans.__('Fetch into %1', assignment.path)
          }
          onClick={() => onAction('fetch')}
        >
          {fetched ? trans.__('Fetch missing') : trans.__('Fetch')}
        </Button>
        <Button
          small
          className="jp-coursekit-validate"
          disabled={!!busy || !fetched}
          onClick={() => onAction('validate')}
        >
          {trans.__('Validate')}
        </Button>
        <Button
          small
          className="jp-coursekit-submit"
          disabled={!!busy || !fetched}
          onClick={() => onAction('submit')}
        >
          {trans.__('Submit')}
        </Button>
        {assignment.status === 'feedback-ready' && (
          <Button
            small
            className="jp-coursekit-feedback"
            disabled={!!busy}
            onClick={() => onAction('feedback')}
          >
            {trans.__('Feedback')}
          </Button>
        )}
      </div>
      {busy && (
        <progress
          className="jp-coursekit-progress-bar"
          aria-label={busyLabel(busy, trans)}
        />
      )}
      {validation && (
        <div
          className={
            validation.valid ? 'jp-coursekit-muted' : 'jp-coursekit-error'
          }
          role={validation.valid ? undefined : 'alert'}
        >
          {validation.valid
            ? trans.__('Validation passed.')
            : trans.__(
                'Validation found problems in: %1',
                validation.notebooks
                  .filter(n => !n.valid)
                  .map(n => n.path)
                  .join(', ')
              )}
        </div>
      )}
      {receipt && <Receipt receipt={receipt} trans={trans} />}
    </li>
  );
}

function Receipt(props: {
  receipt: ISubmissionReceipt;
  trans: TranslationBundle;
}): JSX.Element {
  const { receipt, trans } = props;
  return (
    <div className="jp-coursekit-receipt" role="status">
      <div>
        {trans.__(
          'Submitted at %1. Receipt saved to %2',
          new Date(receipt.submitted_at).toLocaleString(),
          receipt.receipt_path
        )}
      </div>
      <ul className="jp-coursekit-receipt-files">
        {receipt.files.map(file => (
          <li key={file.path}>
            <code>{file.path}</code>{' '}
            <code className="jp-coursekit-sha">{file.sha256.slice(0, 12)}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** What the progress bar says is under way, for screen readers. */
function busyLabel(action: Action, trans: TranslationBundle): string {
  switch (action) {
    case 'fetch':
      return trans.__('Fetching the assignment');
    case 'validate':
      return trans.__('Validating the assignment');
    case 'submit':
      return trans.__('Submitting the assignment');
    default:
      return trans.__('Fetching the feedback');
  }
}

function statusLabel(
  assignment: IAssignment,
  trans: TranslationBundle
): string {
  switch (assignment.status) {
    case 'released':
      return trans.__('Not fetched');
    case 'fetched':
      return trans.__('Fetched');
    case 'submitted':
      return trans.__(
        'Submitted %1',
        new Date(assignment.submitted_at ?? '').toLocaleString()
      );
    default:
      return assignment.feedback_fetched
        ? trans.__('Feedback fetched')
        : trans.__('Feedback ready');
  }
}
