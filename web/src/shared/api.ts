/** The one error shape every wfhub route answers with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const tokenKey = 'wfhub.token';

/** The token a server with WFHUB_TOKEN asks for, kept in this browser only. */
export const token = {
  get: (): string | null => localStorage.getItem(tokenKey),
  set: (value: string) => localStorage.setItem(tokenKey, value),
  clear: () => localStorage.removeItem(tokenKey),
};

function authHeaders(): Record<string, string> {
  const saved = token.get();
  return saved ? { authorization: `Bearer ${saved}` } : {};
}

/** What wants to hear that the server asked for a token (none saved) or refused the saved one. */
const tokenListeners = new Set<(error: ApiError) => void>();

/** Calls `listener` whenever an answer is 401 for want of a good token; returns the unsubscribe. */
export function onTokenNeeded(listener: (error: ApiError) => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

/** Sends a request; a network failure becomes an ApiError a person can act on. */
async function send(method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit; signal?: AbortSignal } = {}): Promise<Response> {
  try {
    return await fetch(path, { method, headers: { ...authHeaders(), ...init.headers }, body: init.body, signal: init.signal });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError(0, 'unreachable', 'The wfhub server does not answer. Is it still running?');
  }
}

/** The server's error, or (from a proxy, say) whatever the answer was, as an ApiError. */
async function readFailure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (error?.message) return new ApiError(response.status, error.code ?? 'http_error', error.message);
  } catch {
    // Not wfhub's JSON: a proxy or gateway answered.
  }
  return new ApiError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText}${text && text.length < 200 ? `: ${text}` : ''}`.trim());
}

/** The server's error; one that asks for a token is told to whoever asks the user for one. */
async function failure(response: Response): Promise<ApiError> {
  const error = await readFailure(response);
  if (error.status === 401 && (error.code === 'unauthorized' || error.code === 'invalid_token')) for (const listener of tokenListeners) listener(error);
  return error;
}

/** Calls the API; a non-2xx answer becomes an ApiError carrying the server's message. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A text answer (a diff, say). */
export async function apiText(path: string): Promise<string> {
  const response = await send('GET', path);
  if (!response.ok) throw await failure(response);
  return response.text();
}

/** A file, as a Blob: downloads carry the token too, which a plain link could not. */
export async function apiBlob(path: string): Promise<Blob> {
  const response = await send('GET', path);
  if (!response.ok) throw await failure(response);
  return response.blob();
}

/** A multipart upload. */
export async function apiForm<T>(path: string, form: FormData): Promise<T> {
  const response = await send('POST', path, { body: form });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** A streamed answer of JSON lines (a chat), each handed to `onLine` as it arrives. */
export async function apiLines(path: string, body: unknown, onLine: (line: unknown) => void, signal?: AbortSignal): Promise<void> {
  const response = await send('POST', path, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  if (!response.ok) throw await failure(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) onLine(JSON.parse(line));
    }
  }
  if (buffer.trim()) onLine(JSON.parse(buffer));
}
