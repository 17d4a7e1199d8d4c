/**
 * The one request helper and one typed call per route of the coursekit server extension
 * (coursekit/handlers/, described in schema/openapi.yaml).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IAssignmentList,
  IBranding,
  IDiskUsage,
  IErrorBody,
  IFeedbackResult,
  IFetchResult,
  IIdleStatus,
  IModuleList,
  IResetResult,
  IRestoreResult,
  ISeedState,
  ISubmissionReceipt,
  IValidateResult,
  IWelcome
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
  const response = await fetchResponse(url, serverSettings, init);
  const text = await response.text();
  if (text.length === 0) {
    return text as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

/**
 * The response of a request under the server's base URL, for answers that are not JSON
 * (a file, a stream): `requestAPI` is built on it.
 *
 * @throws ServerConnection.NetworkError when the server cannot be reached;
 *   APIError on an error status (its body read for the server's {code, message}).
 */
async function fetchResponse(
  url: string,
  serverSettings: ServerConnection.ISettings,
  init: RequestInit = {}
): Promise<Response> {
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, serverSettings);
  } catch (error) {
    if (error instanceof ServerConnection.NetworkError) {
      throw error;
    }
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    const text = await response.text();
    let data: any = text;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON, e.g. a proxy's HTML error page: keep the text for the message.
    }
    throw new APIError(response, errorBody(response, data));
  }
  return response;
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

/** GET branding: the student's module branding and its locked settings. */
export function getBranding(
  settings: ServerConnection.ISettings
): Promise<IBranding> {
  return requestAPI<IBranding>('branding', settings);
}

/**
 * GET an asset URL that `getBranding` answered, as a Blob: fetched with the server's
 * credentials (an <img> cannot send the token header).
 */
export async function getBrandingAsset(
  settings: ServerConnection.ISettings,
  url: string
): Promise<Blob> {
  // The server answers paths; fetchResponse wants full URLs under the server's base URL.
  const full = new URL(url, settings.baseUrl).href;
  const response = await fetchResponse(full, settings);
  return response.blob();
}

/** Bytes received so far and the expected total (the sum of the file sizes; 0 if unknown). */
export type DownloadProgress = (received: number, expected: number) => void;

/**
 * GET modules/{id}/download: the module folder as a zip, read as it streams so that
 * `onProgress` can follow it.
 *
 * @throws APIError on an error status, ServerConnection.NetworkError when unreachable.
 */
export async function downloadModule(
  settings: ServerConnection.ISettings,
  id: string,
  onProgress: DownloadProgress = () => undefined
): Promise<Blob> {
  const url = URLExt.join(
    settings.baseUrl,
    API_NAMESPACE,
    modulePath(id, 'download')
  );
  const response = await fetchResponse(url, settings);
  const expected = Number(
    response.headers.get('X-Coursekit-Expected-Bytes') ?? 0
  );
  if (!response.body) {
    const blob = await response.blob();
    onProgress(blob.size, expected);
    return blob;
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    parts.push(value);
    received += value.length;
    onProgress(received, expected);
  }
  return new Blob(parts, { type: 'application/zip' });
}

/** GET idle: how long until the culler may stop the server (not counted as activity). */
export function getIdle(
  settings: ServerConnection.ISettings
): Promise<IIdleStatus> {
  return requestAPI<IIdleStatus>('idle', settings);
}

/** POST idle/activity: "I'm still working", activity the culler sees. */
export function stillWorking(
  settings: ServerConnection.ISettings
): Promise<IIdleStatus> {
  return requestAPI<IIdleStatus>('idle/activity', settings, { method: 'POST' });
}

/** DELETE idle/previous-stop: the student has seen why the last server stopped. */
export async function acknowledgePreviousStop(
  settings: ServerConnection.ISettings
): Promise<void> {
  await requestAPI<unknown>('idle/previous-stop', settings, {
    method: 'DELETE'
  });
}

/** GET usage/disk: the home's disk use and its real quota (null on a shared disk). */
export function getDiskUsage(
  settings: ServerConnection.ISettings
): Promise<IDiskUsage> {
  return requestAPI<IDiskUsage>('usage/disk', settings);
}

/** GET welcome: what changed in each module since the last visit. */
export function getWelcome(
  settings: ServerConnection.ISettings
): Promise<IWelcome> {
  return requestAPI<IWelcome>('welcome', settings);
}

/** POST welcome/seen: now is the last visit. */
export function welcomeSeen(
  settings: ServerConnection.ISettings
): Promise<{ last_visit: string }> {
  return requestAPI<{ last_visit: string }>('welcome/seen', settings, {
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
