/**
 * The institution's and the module's look in JupyterLab: logo in the top bar, favicon,
 * accent colours, extra CSS, Help menu links, an About dialog. Everything comes from
 * GET /coursekit/api/branding (see docs/branding.md). Locked settings are shown read-only
 * by the server's answer to JupyterLab's settings requests (coursekit/handlers/lab_hooks.py).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, IThemeManager, showDialog } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { getBranding, getBrandingAsset } from '../api';
import {
  BrandingCommandIDs,
  IBranding,
  IBrandingValues,
  TRANSLATION_DOMAIN
} from '../tokens';

/** The top bar's logo widget, which JupyterLab's application-extension adds. */
const MAIN_LOGO_ID = 'jp-MainLogo';

export async function activateBranding(
  app: JupyterFrontEnd,
  translator: ITranslator | null,
  themeManager: IThemeManager | null
): Promise<void> {
  const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
  const serverSettings = app.serviceManager.serverSettings;
  let branding: IBranding;
  try {
    branding = await getBranding(serverSettings);
  } catch (error) {
    // Branding is decoration: JupyterLab stays usable, the reason goes to the console.
    console.warn('coursekit: no branding', error);
    return;
  }
  const values = branding.branding;
  addCommands(app, values, branding, trans);
  applyColors(values, themeManager);
  const [logoBlob, faviconBlob, cssBlob] = await Promise.all([
    assetBlob(serverSettings, values.logo),
    assetBlob(serverSettings, values.favicon),
    assetBlob(serverSettings, values.css)
  ]);
  const logo = logoBlob && URL.createObjectURL(logoBlob);
  const favicon = faviconBlob && URL.createObjectURL(faviconBlob);
  const css = cssBlob && (await cssBlob.text());
  if (logo) {
    showLogo(app, logo, values.name ?? '');
  }
  showName(app, branding.app_name);
  if (favicon) {
    document
      .querySelectorAll<HTMLLinkElement>('link[rel="icon"]')
      .forEach(link => {
        link.href = favicon;
      });
  }
  if (css) {
    const style = document.createElement('style');
    style.id = 'coursekit-branding-css';
    style.textContent = css;
    document.head.appendChild(style);
  }
}

/** An asset as a Blob, or null (with the reason in the console) when it cannot be had. */
async function assetBlob(
  settings: ServerConnection.ISettings,
  url: string | undefined
): Promise<Blob | null> {
  if (!url) {
    return null;
  }
  try {
    return await getBrandingAsset(settings, url);
  } catch (error) {
    console.warn('coursekit: branding asset', url, error);
    return null;
  }
}

/** The course's accent as JupyterLab's brand colours, per light or dark theme. */
function applyColors(
  values: IBrandingValues,
  themeManager: IThemeManager | null
): void {
  const accent = values.colors?.accent;
  if (!accent) {
    return;
  }
  // Lighter in the dark theme, so text and focus rings on it stay readable.
  const dark =
    values.colors?.accent_dark ?? `color-mix(in srgb, ${accent} 65%, white)`;
  const apply = () => {
    const theme = themeManager?.theme;
    const isLight = !theme || themeManager!.isLight(theme);
    const color = isLight ? accent : dark;
    const style = document.body.style;
    style.setProperty('--coursekit-accent', color);
    style.setProperty(
      '--jp-brand-color0',
      `color-mix(in srgb, ${color} 80%, black)`
    );
    style.setProperty('--jp-brand-color1', color);
    style.setProperty(
      '--jp-brand-color2',
      `color-mix(in srgb, ${color} 60%, white)`
    );
    style.setProperty(
      '--jp-brand-color3',
      `color-mix(in srgb, ${color} 30%, white)`
    );
    document.body.dataset.coursekitBranded = isLight ? 'light' : 'dark';
  };
  apply();
  themeManager?.themeChanged.connect(apply);
}

function showLogo(app: JupyterFrontEnd, url: string, name: string): void {
  const logo = Array.from(app.shell.widgets('top')).find(
    widget => widget.id === MAIN_LOGO_ID
  );
  const img = document.createElement('img');
  img.src = url;
  img.alt = name;
  img.className = 'jp-coursekit-logo';
  if (logo) {
    logo.node.replaceChildren(img);
    logo.addClass('jp-coursekit-branded-logo');
  } else {
    const widget = new Widget({ node: img });
    widget.id = 'coursekit-logo';
    app.shell.add(widget, 'top', { rank: 0 });
  }
}

function showName(app: JupyterFrontEnd, name: string | null): void {
  if (!name) {
    return;
  }
  const node = document.createElement('div');
  node.textContent = name;
  const widget = new Widget({ node });
  widget.id = 'coursekit-brand-name';
  widget.addClass('jp-coursekit-brand-name');
  app.shell.add(widget, 'top', { rank: 5 });
}

function addCommands(
  app: JupyterFrontEnd,
  values: IBrandingValues,
  branding: IBranding,
  trans: ReturnType<ITranslator['load']>
): void {
  const help = values.help ?? [];
  app.commands.addCommand(BrandingCommandIDs.openHelpLink, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          index: { type: 'number', description: 'Which Help link, from 0' }
        }
      }
    },
    label: args => help[Number(args.index)]?.label ?? '',
    caption: args => help[Number(args.index)]?.url ?? '',
    isVisible: args => Number(args.index) < help.length,
    execute: args => {
      const link = help[Number(args.index)];
      if (link) {
        window.open(link.url, '_blank', 'noopener');
      }
    }
  });
  const name = values.name ?? branding.module ?? '';
  app.commands.addCommand(BrandingCommandIDs.about, {
    describedBy: { args: { type: 'object', properties: {} } },
    label: trans.__('About %1', name),
    // Only a branded course has an About of its own.
    isVisible: () => Boolean(values.name || values.about),
    execute: () => {
      const body = document.createElement('div');
      body.className = 'jp-coursekit-about';
      if (branding.app_name) {
        const title = document.createElement('h3');
        title.textContent = branding.app_name;
        body.appendChild(title);
      }
      const text = document.createElement('p');
      text.textContent = values.about ?? '';
      body.appendChild(text);
      for (const link of help) {
        const a = document.createElement('a');
        a.href = link.url;
        a.target = '_blank';
        a.rel = 'noopener';
        a.textContent = link.label;
        body.appendChild(a);
      }
      return showDialog({
        title: trans.__('About %1', name),
        body: new Widget({ node: body }),
        buttons: [Dialog.okButton()]
      });
    }
  });
}
