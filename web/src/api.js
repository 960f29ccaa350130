// Prism's JSON routes on the page's own origin (relative paths, so the page also works under a prefix).
// Bodies are the proto's canonical JSON; a failure is a google.rpc.Status, thrown as an ApiError.
import { readEvents } from './sse.js';

/** A call that failed: the server's google.rpc.Status (code, message, details), or what stood in for it. */
export class ApiError extends Error {
  constructor(status, httpStatus) {
    super(status.message || `HTTP ${httpStatus}`);
    this.code = status.code;
    this.details = status.details || [];
    this.httpStatus = httpStatus;
  }

  /** The ErrorInfo reason, when the server sent one. */
  get reason() {
    const info = this.details.find((d) => String(d['@type'] || '').endsWith('google.rpc.ErrorInfo'));
    return info ? info.reason : undefined;
  }

  /** The BadRequest field violations as "field: description" lines. */
  get violations() {
    return this.details
      .filter((d) => String(d['@type'] || '').endsWith('google.rpc.BadRequest'))
      .flatMap((d) => d.fieldViolations || [])
      .map((v) => (v.field ? `${v.field}: ${v.description}` : v.description));
  }
}

let bearer = '';

/** The bearer token sent with every call (a server with a tokens file wants one); '' sends none. */
export function setToken(token) {
  bearer = (token || '').trim();
}

function headers(more) {
  return bearer ? { ...more, Authorization: `Bearer ${bearer}` } : more;
}

async function failure(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    // The server's own refusals before a route answers (a body over --max-message-bytes: 413, an unknown
    // path) are {"error": "..."}, with the Status under "status" where there is one.
    if (typeof body.error === 'string' && body.message === undefined) {
      return new ApiError({ message: body.error, ...(body.status || {}) }, response.status);
    }
    return new ApiError(body, response.status);
  } catch {
    return new ApiError({ message: text.trim() || `${response.status} ${response.statusText}` }, response.status);
  }
}

async function json(response) {
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function listModels() {
  const body = await json(await fetch('prism/v1/models', { headers: headers({}) }));
  return body.models || [];
}

export async function getModel(name, backgroundRows) {
  const url = `prism/v1/models/${encodeURIComponent(name)}?background_rows=${backgroundRows}`;
  return json(await fetch(url, { headers: headers({}) }));
}

function post(path, request, signal) {
  return fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', Accept: path.endsWith(':stream') ? 'text/event-stream' : 'application/json' }),
    body: JSON.stringify(request),
    signal,
  });
}

/** The PredictResponse: the score outputs for the request's inputs. */
export async function predict(request, signal) {
  return json(await post('prism/v1/predict', request, signal));
}

/** One ExplainResponse for the whole request (the CSV of many rows). */
export async function explain(request, signal) {
  return json(await post('prism/v1/explain', request, signal));
}

/** The streamed explanation: onProgress(Progress) for each progress event, resolves to the ExplainResponse. */
export async function explainStream(request, onProgress, signal) {
  const response = await post('prism/v1/explain:stream', request, signal);
  if (!response.ok) throw await failure(response);
  for await (const { event, data } of readEvents(response.body)) {
    if (event === 'progress') onProgress(JSON.parse(data).progress);
    else if (event === 'result') return JSON.parse(data).result;
    else if (event === 'error') throw new ApiError(JSON.parse(data), response.status);
  }
  throw new ApiError({ message: 'the server ended the stream without a result' }, response.status);
}
