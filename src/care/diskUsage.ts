/**
 * My usage: a status bar item with the disk the home uses against its real quota.
 * Memory and CPU are jupyter-resource-usage's own indicators.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { getDiskUsage } from '../api';
import { IDiskUsage } from '../tokens';
import { formatBytes } from '../format';

const REFRESH_MS = 120_000;

export class DiskUsageItem extends Widget {
  constructor(
    private readonly _settings: ServerConnection.ISettings,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-coursekit-disk-usage');
    this.node.textContent = '';
    void this._refresh();
    this._timer = window.setInterval(() => void this._refresh(), REFRESH_MS);
  }

  dispose(): void {
    clearInterval(this._timer);
    super.dispose();
  }

  private async _refresh(): Promise<void> {
    let usage: IDiskUsage;
    try {
      usage = await getDiskUsage(this._settings);
    } catch (error) {
      // An older server or a stopping one: show nothing rather than a wrong figure.
      console.warn('coursekit: disk usage unavailable', error);
      this.node.textContent = '';
      this.node.title = '';
      return;
    }
    this.render(usage);
  }

  render(usage: IDiskUsage): void {
    const trans = this._trans;
    const used = formatBytes(usage.used);
    if (usage.quota) {
      const share = usage.used / usage.quota;
      this.node.textContent = trans.__(
        'Disk: %1 / %2',
        used,
        formatBytes(usage.quota)
      );
      // The figure carries its own sign: '%%' in a msgid reads as a Python format to gettext tools.
      this.node.title = trans.__(
        'Your home uses %1 of its quota',
        `${Math.round(share * 100)}%`
      );
      this.toggleClass('jp-coursekit-disk-usage-high', share >= 0.9);
    } else {
      this.node.textContent = trans.__('Disk: %1', used);
      this.node.title = usage.reason ?? '';
    }
  }

  private _timer: number;
}
