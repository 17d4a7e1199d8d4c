import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { nullTranslator } from '@jupyterlab/translation';

import { lockPlugin } from '../branding/locks';

const trans = nullTranslator.load('coursekit');

function themesPlugin(user: Record<string, any>): ISettingRegistry.IPlugin {
  return {
    id: '@jupyterlab/apputils-extension:themes',
    raw: '{}',
    version: '4.0.0',
    schema: {
      type: 'object',
      properties: {
        theme: {
          type: 'string',
          default: 'JupyterLab Light',
          description: 'Theme'
        },
        'theme-scrollbars': { type: 'boolean', default: false }
      }
    },
    data: {
      user,
      composite: { theme: user.theme ?? 'JupyterLab Light', ...user }
    }
  } as ISettingRegistry.IPlugin;
}

describe('lockPlugin', () => {
  it('shows the course value of a locked key, read-only, over the student value', () => {
    const plugin = lockPlugin(
      themesPlugin({ theme: 'JupyterLab Light', 'theme-scrollbars': true }),
      ['theme'],
      { theme: 'JupyterLab Dark' },
      trans
    );
    expect(plugin.data.composite.theme).toBe('JupyterLab Dark');
    expect(plugin.data.user.theme).toBeUndefined();
    expect(plugin.data.composite['theme-scrollbars']).toBe(true);
    expect(plugin.schema.properties!.theme.readOnly).toBe(true);
    expect(plugin.schema.properties!.theme.description).toBe(
      'Theme (Locked by your course.)'
    );
    expect(
      plugin.schema.properties!['theme-scrollbars'].readOnly
    ).toBeUndefined();
  });

  it('falls back to the schema default when the course locks without a value', () => {
    const plugin = lockPlugin(
      themesPlugin({ theme: 'JupyterLab Dark' }),
      ['theme'],
      {},
      trans
    );
    expect(plugin.data.composite.theme).toBe('JupyterLab Light');
  });
});
