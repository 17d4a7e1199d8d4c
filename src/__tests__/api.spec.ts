import { ServerConnection } from '@jupyterlab/services';

import { APIError, getModules, requestAPI, restore, startSeed } from '../api';
import { fakeServer, json } from './fakeServer';

describe('requestAPI', () => {
  it('returns the parsed JSON body of a 2xx answer', async () => {
    const { settings, calls } = fakeServer({
      'GET /coursekit/api/modules': () =>
        json({ modules: [], problems: [], manifests: [] })
    });
    await expect(getModules(settings)).resolves.toEqual({
      modules: [],
      problems: [],
      manifests: []
    });
    expect(calls).toEqual(['GET /coursekit/api/modules']);
  });

  it("throws an APIError carrying the server's code and message", async () => {
    const { settings } = fakeServer({
      'POST /coursekit/api/modules/TM351-25J/seed': () =>
        json(
          { code: 'workspace-unavailable', message: 'the folder is a file' },
          409
        )
    });
    const error = await startSeed(settings, 'TM351-25J').catch(e => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect(error.code).toBe('workspace-unavailable');
    expect(error.message).toBe('the folder is a file');
    expect(error.status).toBe(409);
  });

  it('makes up a code from the status when the body has none', async () => {
    const { settings } = fakeServer({
      'GET /coursekit/api/broken': () =>
        new Response('<html>Bad gateway</html>', {
          status: 502,
          statusText: 'Bad Gateway'
        })
    });
    const error = await requestAPI<never>('broken', settings).catch(e => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error.code).toBe('http-502');
    expect(error.message).toContain('Bad');
  });

  it('maps a missing route to a 404 APIError, so callers can degrade', async () => {
    const { settings } = fakeServer({});
    const error = await restore(settings, 'TM351-25J', null).catch(e => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(404);
  });

  it('throws a NetworkError when the server cannot be reached', async () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://server/',
      fetch: () => Promise.reject(new TypeError('Failed to fetch'))
    });
    const error = await getModules(settings).catch(e => e);
    expect(error).toBeInstanceOf(ServerConnection.NetworkError);
  });

  it('sends the restore paths as JSON, null meaning every deleted file', async () => {
    let body: unknown;
    const { settings } = fakeServer({
      'POST /coursekit/api/modules/TM351-25J/restore': async request => {
        body = await request.json();
        return json({ restored: ['a.ipynb'], backups: [] });
      }
    });
    await expect(restore(settings, 'TM351-25J', null)).resolves.toEqual({
      restored: ['a.ipynb'],
      backups: []
    });
    expect(body).toEqual({ paths: null });
  });
});
