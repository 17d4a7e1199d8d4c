/**
 * The one request helper and one typed call per route of the coursekit server extension
 * (coursekit/handlers/, described in schema/openapi.yaml).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IAssignmentList,
  IErrorBody,
  IFeedbackResult,
  IFetchResult,
  IModuleList,
  IResetResult,
  IRestoreResult,
  ISeedState,
  ISubmissionReceipt,
  IValidateResult
} from './tokens';

/** The API's namespace under the server's base URL. */
const API_NAMESPACE = 'coursekit/api';

/**
 * An error response of the coursekit API: a `ServerConnection.ResponseError` that also
 * carries the server's stable `code`, so callers can branch on it.
 */
export class APIError extends ServerConnection.ResponseError {
  /** The stable error code, e.g. `module-not-found`; `http-<status>` when the body has none. */
  readonly code: string;

  constructor(response: Response, body: IErrorBody) {
    super(response, body.message);
    this.code = body.code;
  }

  /** The HTTP status of the response. */
  get status(): number {
    return this.response.status;
  }
}

/**
 * Call the coursekit server extension.
 *
 * @param endPoint The path under `coursekit/api/`, e.g. `modules`.
 * @param serverSettings The server settings to use for the request.
 * @param init Initial values for the request.
 * @returns The response body interpreted as JSON.
 * @throws ServerConnection.NetworkError when the server cannot be reached;
 *   APIError (a ServerConnection.ResponseError) on an error status.
 */
export async function requestAPI<T>(
  endPoint: string,
  serverSettings: ServerConnection.ISettings,
  init: RequestInit = {}
): Promise<T> {
  const url = URLExt.join(serverSettings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, serverSettings);
  } catch (error) {
    if (error instanceof ServerConnection.NetworkError) {
      throw error;
    }
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON, e.g. a proxy's HTML error page: keep the text for the message.
    }
  }

  if (!response.ok) {
    throw new APIError(response, errorBody(response, data));
  }
  return data as T;
}

/** The server's {code, message}, or one made from the status when the body has none. */
function errorBody(response: Response, data: any): IErrorBody {
  const fallback = `http-${response.status}`;
  if (data && typeof data === 'object' && typeof data.message === 'string') {
    return {
      code: typeof data.code === 'string' ? data.code : fallback,
      message: data.message
    };
  }
  const message =
    typeof data === 'string' && data.length > 0 && data.length < 500
      ? data
      : response.statusText || fallback;
  return { code: fallback, message };
}

function modulePath(id: string, action: string): string {
  return `modules/${encodeURIComponent(id)}/${action}`;
}

function postJSON(body: unknown): RequestInit {
  return { method: 'POST', body: JSON.stringify(body) };
}

/** GET modules: the student's modules, their seeding state and manifest problems. */
export function getModules(
  settings: ServerConnection.ISettings
): Promise<IModuleList> {
  return requestAPI<IModuleList>('modules', settings);
}

/** GET modules/{id}/seed: poll while the state is queued or running. */
export function getSeed(
  settings: ServerConnection.ISettings,
  id: string
): Promise<ISeedState> {
  return requestAPI<ISeedState>(modulePath(id, 'seed'), settings);
}

/** POST modules/{id}/seed: seed the module again now (answers 202 at once). */
export function startSeed(
  settings: ServerConnection.ISettings,
  id: string
): Promise<ISeedState> {
  return requestAPI<ISeedState>(modulePath(id, 'seed'), settings, {
    method: 'POST'
  });
}

/**
 * POST modules/{id}/restore: bring back the course's originals of `paths`, or of every
 * course file the student deleted when `paths` is null.
 */
export function restore(
  settings: ServerConnection.ISettings,
  id: string,
  paths: string[] | null = null
): Promise<IRestoreResult> {
  return requestAPI<IRestoreResult>(
    modulePath(id, 'restore'),
    settings,
    postJSON({ paths })
  );
}

/** POST modules/{id}/reset: move the module folder to a backup and seed it afresh. */
export function reset(
  settings: ServerConnection.ISettings,
  id: string
): Promise<IResetResult> {
  return requestAPI<IResetResult>(modulePath(id, 'reset'), settings, {
    method: 'POST'
  });
}

/** GET modules/{id}/assignments: released nbgrader assignments and the student's status. */
export function getAssignments(
  settings: ServerConnection.ISettings,
  id: string
): Promise<IAssignmentList> {
  return requestAPI<IAssignmentList>(modulePath(id, 'assignments'), settings);
}

/** What each assignment action answers. */
export interface IAssignmentActions {
  fetch: IFetchResult;
  validate: IValidateResult;
  submit: ISubmissionReceipt;
  feedback: IFeedbackResult;
}

/** POST modules/{id}/assignments/{assignment}/{action}. */
export function assignmentAction<A extends keyof IAssignmentActions>(
  settings: ServerConnection.ISettings,
  id: string,
  assignment: string,
  action: A
): Promise<IAssignmentActions[A]> {
  const path = modulePath(
    id,
    `assignments/${encodeURIComponent(assignment)}/${action}`
  );
  return requestAPI<IAssignmentActions[A]>(path, settings, { method: 'POST' });
}
