/**
 * The idle warning: before the hub's culler stops the server, a notification with an
 * "I'm still working" button; after a stop for inactivity, the next start says why and
 * when. The timing is the server's (GET coursekit/api/idle, which is not activity).
 */
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { acknowledgePreviousStop, getIdle, stillWorking } from '../api';
import { IIdleStatus, IPreviousStop } from '../tokens';

/** How often the status is read while the cull is far; it is read sooner as it nears. */
const POLL_MS = 60_000;
const MIN_POLL_MS = 10_000;

export class IdleWatch {
  constructor(
    private readonly _settings: ServerConnection.ISettings,
    private readonly _trans: TranslationBundle
  ) {}

  /** Read the status now and keep reading it while a culler is configured. */
  async start(): Promise<void> {
    let status: IIdleStatus;
    try {
      status = await getIdle(this._settings);
    } catch (error) {
      // An older server, or none: no warning rather than a false one.
      console.warn('coursekit: idle status unavailable', error);
      return;
    }
    if (status.previous_stop) {
      this._tellPreviousStop(status.previous_stop);
    }
    this._apply(status);
  }

  dispose(): void {
    clearTimeout(this._timer);
    this._disposed = true;
  }

  private _schedule(status: IIdleStatus): void {
    if (this._disposed || !status.culling) {
      return;
    }
    // Wake up when the warning becomes due, and at least every POLL_MS.
    const untilWarn =
      ((status.seconds_until_cull ?? 0) - status.warn_before) * 1000;
    const delay = Math.max(
      MIN_POLL_MS,
      Math.min(POLL_MS, untilWarn > 0 ? untilWarn : POLL_MS)
    );
    clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this._poll(), delay);
  }

  private async _poll(): Promise<void> {
    try {
      this._apply(await getIdle(this._settings));
    } catch (error) {
      // The server may be stopping; try again later without a second warning.
      console.warn('coursekit: idle status unavailable', error);
      this._timer = window.setTimeout(() => void this._poll(), POLL_MS);
    }
  }

  private _apply(status: IIdleStatus): void {
    if (status.culling && status.warn) {
      this._warn(status);
    } else if (this._warning) {
      Notification.dismiss(this._warning);
      this._warning = null;
    }
    this._schedule(status);
  }

  private _warn(status: IIdleStatus): void {
    const trans = this._trans;
    const minutes = Math.max(
      1,
      Math.round((status.seconds_until_cull ?? 0) / 60)
    );
    const message = trans._n(
      'Your server will stop in about %1 minute to free resources, as it has been idle; your files are saved.',
      'Your server will stop in about %1 minutes to free resources, as it has been idle; your files are saved.',
      minutes
    );
    const options = {
      autoClose: false as const,
      actions: [
        {
          label: trans.__("I'm still working"),
          caption: trans.__('Keep the server running'),
          displayType: 'accent' as const,
          callback: () => void this._stillWorking()
        }
      ]
    };
    if (this._warning) {
      Notification.update({
        id: this._warning,
        message,
        type: 'warning',
        ...options
      });
    } else {
      this._warning = Notification.warning(message, options);
    }
  }

  private async _stillWorking(): Promise<void> {
    try {
      this._apply(await stillWorking(this._settings));
    } catch (error) {
      Notification.error(
        this._trans.__(
          'Could not tell the server you are still working: %1',
          (error as Error).message
        ),
        { autoClose: 8000 }
      );
    }
  }

  private _tellPreviousStop(stop: IPreviousStop): void {
    if (stop.reason === 'idle') {
      const when = new Date(stop.stopped_at);
      Notification.info(
        this._trans.__(
          'Your server was stopped on %1 at %2 after %3 minutes without activity, to free resources. Your files were saved.',
          when.toLocaleDateString(),
          when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
          Math.round(stop.idle_seconds / 60)
        ),
        { autoClose: false }
      );
    }
    // Said once: a reload does not say it again.
    void acknowledgePreviousStop(this._settings).catch(error =>
      console.warn('coursekit: could not acknowledge the previous stop', error)
    );
  }

  private _timer = 0;
  private _warning: string | null = null;
  private _disposed = false;
}
