/**
 * Locked settings, shown as such: the course's value wins over the student's, and the
 * Settings Editor shows the field read-only with a note. The server refuses a save that
 * changes it (coursekit/handlers/lab_hooks.py); this keeps the UI honest about it.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';
import { PartialJSONObject, PartialJSONValue } from '@lumino/coreutils';

import { IBranding } from '../tokens';

export function lockSettings(
  registry: ISettingRegistry,
  branding: IBranding,
  trans: ReturnType<ITranslator['load']>
): void {
  for (const [pluginId, keys] of Object.entries(branding.locked)) {
    const forced = (branding.settings[pluginId] ?? {}) as PartialJSONObject;
    try {
      registry.transform(pluginId, {
        compose: plugin => lockPlugin(plugin, keys, forced, trans)
      });
    } catch (error) {
      console.warn('coursekit: cannot lock settings of', pluginId, error);
      continue;
    }
    // The plugin may have loaded before us: load it again through the transform.
    void registry.reload(pluginId).catch(error => {
      console.warn('coursekit: cannot reload settings of', pluginId, error);
    });
  }
}

export function lockPlugin(
  plugin: ISettingRegistry.IPlugin,
  keys: string[],
  forced: PartialJSONObject,
  trans: ReturnType<ITranslator['load']>
): ISettingRegistry.IPlugin {
  const user = { ...(plugin.data.user ?? {}) };
  const composite = { ...(plugin.data.composite ?? {}) };
  const properties = plugin.schema.properties ?? {};
  for (const key of keys) {
    delete user[key];
    const property = properties[key];
    const value =
      key in forced
        ? (forced[key] as PartialJSONValue)
        : (property?.default as PartialJSONValue | undefined);
    if (value !== undefined) {
      composite[key] = value;
    }
    if (property) {
      properties[key] = {
        ...property,
        readOnly: true,
        description:
          `${property.description ?? ''} ${trans.__('(Locked by your course.)')}`.trim()
      };
    }
  }
  plugin.data = { user, composite };
  return plugin;
}
