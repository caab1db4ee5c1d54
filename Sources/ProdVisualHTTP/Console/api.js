// The API, called from this page: same origin only, the key as the Bearer header only.

const STORAGE_KEY = 'prodvisual.console.key';

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  get isTest() {
    return (this.key || '').startsWith('pv_test_');
  },
  signIn(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

/** An error answer of the API, with the envelope's words: `{"error": {"code", "message", "status"}}`. */
export class APIError extends Error {
  constructor(message, code, status) {
    super(message);
    this.name = 'APIError';
    this.code = code;
    this.status = status;
  }
}

/**
 * Calls the API at `path` (always a path on this server, never a URL) and returns the parsed
 * JSON answer; throws APIError with the server's message on an error answer.
 * `json` is sent as a JSON body; `form` (FormData) as multipart.
 */
export async function api(path, { method = 'GET', json, form, key = session.key, signal } = {}) {
  if (!path.startsWith('/v1/')) throw new Error(`Not an API path: ${path}`);
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal, credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new APIError('The server could not be reached. Check that it is running and try again.', 'network_error', 0);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const envelope = data && data.error;
    if (envelope && envelope.message) throw new APIError(envelope.message, envelope.code, response.status);
    throw new APIError(`The server answered ${response.status} ${response.statusText}.`, 'http_error', response.status);
  }
  return data;
}
