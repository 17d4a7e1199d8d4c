import { APIError, assignmentAction, getAssignments } from '../api';
import { ModulesModel } from '../modules/model';
import { fakeServer, json } from './fakeServer';

const BASE = '/coursekit/api/modules/TM351-25J/assignments';

describe('assignment API calls', () => {
  it('lists and acts on one assignment under its module', async () => {
    const { settings, calls } = fakeServer({
      [`GET ${BASE}`]: () => json({ module: 'TM351-25J', assignments: [] }),
      [`POST ${BASE}/ps1/submit`]: () =>
        json({ submission_id: 'x', files: [], receipt_path: 'r.json' }, 201)
    });
    await expect(getAssignments(settings, 'TM351-25J')).resolves.toEqual({
      module: 'TM351-25J',
      assignments: []
    });
    const receipt = await assignmentAction(
      settings,
      'TM351-25J',
      'ps1',
      'submit'
    );
    expect(receipt.receipt_path).toBe('r.json');
    expect(calls).toEqual([`GET ${BASE}`, `POST ${BASE}/ps1/submit`]);
  });

  it("surfaces the exchange's refusal with its code", async () => {
    const { settings } = fakeServer({
      [`POST ${BASE}/ps1/fetch`]: () =>
        json({ code: 'not-released', message: 'ps1 is not released' }, 404)
    });
    const error = await assignmentAction(
      settings,
      'TM351-25J',
      'ps1',
      'fetch'
    ).catch(e => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error.code).toBe('not-released');
  });
});

describe('ModulesModel row sections', () => {
  it('keeps sections in rank order, signals, and removes one on dispose', () => {
    const model = new ModulesModel({ serverSettings: fakeServer({}).settings });
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    const render = () => null;
    const late = model.addRowSection({ id: 'late', rank: 200, render });
    model.addRowSection({ id: 'early', rank: 10, render });
    model.addRowSection({ id: 'default', render });
    expect(model.rowSections.map(s => s.id)).toEqual([
      'early',
      'default',
      'late'
    ]);
    late.dispose();
    expect(model.rowSections.map(s => s.id)).toEqual(['early', 'default']);
    expect(changes).toBe(4);
    model.dispose();
  });
});
