/**
 * A coursekit server in a function: ServerConnection settings whose fetch answers from a
 * route table, so the API client and the model run their real code paths.
 */
import { ServerConnection } from '@jupyterlab/services';

export type Route = (request: Request) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

/** Settings for `http://server/`; `routes` maps "METHOD path" to an answer. */
export function fakeServer(routes: Record<string, Route>): {
  settings: ServerConnection.ISettings;
  calls: string[];
} {
  const calls: string[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    calls.push(key);
    const route = routes[key];
    if (!route) {
      return json({ code: 'http-404', message: `no route ${key}` }, 404);
    }
    return route(request);
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://server/',
    wsUrl: 'ws://server/',
    fetch
  });
  return { settings, calls };
}
