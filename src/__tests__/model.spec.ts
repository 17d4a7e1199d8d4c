import { moduleAt, ModulesModel, startupModule } from '../modules/model';
import { IModule, ISeedState } from '../tokens';
import { fakeServer, json } from './fakeServer';

function module(id: string, changes: Partial<IModule> = {}): IModule {
  return {
    id,
    code: id.split('-')[0],
    presentation: id.split('-')[1],
    title: `Module ${id}`,
    description: '',
    path: id,
    status: 'ready',
    error: null,
    ...changes
  };
}

function seed(state: ISeedState['state']): ISeedState {
  return { state, progress: null, report: null };
}

describe('startupModule', () => {
  it('opens the only ready module', () => {
    const modules = [
      module('TM351-25J'),
      module('M269-25J', { status: 'error' })
    ];
    expect(startupModule(modules, null)?.id).toBe('TM351-25J');
  });

  it('opens nothing when the student takes several modules', () => {
    expect(
      startupModule([module('TM351-25J'), module('M269-25J')], null)
    ).toBeUndefined();
  });

  it('opens nothing when the address opened a path of its own', () => {
    expect(
      startupModule([module('TM351-25J')], 'TM351-25J/notebooks')
    ).toBeUndefined();
  });
});

describe('moduleAt', () => {
  const modules = [module('TM351-25J'), module('TM35-25J')];

  it('finds the module holding a path, not one sharing a prefix', () => {
    expect(moduleAt(modules, 'TM351-25J/notebooks/a.ipynb')?.id).toBe(
      'TM351-25J'
    );
    expect(moduleAt(modules, 'TM35-25J')?.id).toBe('TM35-25J');
    expect(moduleAt(modules, 'TM351-25J.backup-1')).toBeUndefined();
    expect(moduleAt(modules, '')).toBeUndefined();
  });
});

describe('ModulesModel', () => {
  it('reads the modules and the manifest problems', async () => {
    const problem = {
      file: 'course.yaml',
      line: 3,
      path: 'modules[0].tittle',
      message: "unknown key 'tittle'",
      code: 'manifest-unknown-key'
    };
    const { settings } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({
          modules: [module('TM351-25J', { seed: seed('idle') })],
          problems: [problem],
          manifests: []
        })
    });
    const model = new ModulesModel({ serverSettings: settings });
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    await model.refresh();
    expect(model.loaded).toBe(true);
    expect(model.readyModules.map(m => m.id)).toEqual(['TM351-25J']);
    expect(model.problems).toEqual([problem]);
    expect(model.canSeed('TM351-25J')).toBe(true);
    expect(changes).toBe(1);
    model.dispose();
  });

  it('signals refreshed after each reading of the list', async () => {
    const { settings } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({ modules: [module('TM351-25J')], problems: [], manifests: [] })
    });
    const model = new ModulesModel({ serverSettings: settings });
    let refreshed = 0;
    model.refreshed.connect(() => (refreshed += 1));
    await model.refresh();
    await model.refresh();
    expect(refreshed).toBe(2);
    model.dispose();
  });

  it('keeps the reason when the list cannot be read', async () => {
    const { settings } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({ code: 'manifest-invalid', message: 'bad manifest' }, 500)
    });
    const model = new ModulesModel({ serverSettings: settings });
    await model.refresh();
    expect(model.loadError).toBe('bad manifest');
    expect(model.modules).toEqual([]);
    model.dispose();
  });

  it('offers no seeding when the server has no seeding service', async () => {
    const { settings } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({ modules: [module('TM351-25J')], problems: [], manifests: [] })
    });
    const model = new ModulesModel({ serverSettings: settings });
    await model.refresh();
    expect(model.canSeed('TM351-25J')).toBe(false);
    model.dispose();
  });

  it('polls a running seed until it is done', async () => {
    const answers: ISeedState[] = [seed('running'), seed('done')];
    const { settings, calls } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({
          modules: [module('TM351-25J', { seed: seed('queued') })],
          problems: [],
          manifests: []
        }),
      'GET /coursekit/api/modules/TM351-25J/seed': () => json(answers.shift())
    });
    const model = new ModulesModel({
      serverSettings: settings,
      pollInterval: 1
    });
    const done = new Promise<void>(resolve =>
      model.changed.connect(() => {
        if (model.get('TM351-25J')?.seed?.state === 'done') {
          resolve();
        }
      })
    );
    await model.refresh();
    await done;
    expect(calls.filter(call => call.endsWith('/seed')).length).toBe(2);
    model.dispose();
  });

  it('records a failed action for the panel and rethrows it', async () => {
    const { settings } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({
          modules: [module('TM351-25J', { seed: seed('done') })],
          problems: [],
          manifests: []
        }),
      'POST /coursekit/api/modules/TM351-25J/reset': () =>
        json({ code: 'reset-failed', message: 'disk full' }, 500),
      'GET /coursekit/api/modules/TM351-25J/seed': () => json(seed('failed'))
    });
    const model = new ModulesModel({ serverSettings: settings });
    await model.refresh();
    await expect(model.reset('TM351-25J')).rejects.toThrow('disk full');
    expect(model.actionError('TM351-25J')).toBe('disk full');
    model.dispose();
  });
});
