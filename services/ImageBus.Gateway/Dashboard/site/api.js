// The gateway's API as the signed-in key calls it, and the job event stream read over fetch (EventSource cannot send an
// Authorization header).

const KeyStorage = 'imagebus.apiKey';

export const session = {
  get key() { return sessionStorage.getItem(KeyStorage); },
  signIn(key) { sessionStorage.setItem(KeyStorage, key); },
  signOut() { sessionStorage.removeItem(KeyStorage); },
};

/** A non-2xx answer, with the problem details' title, detail and every listed error in its message. */
export class ApiError extends Error {
  constructor(status, problem) {
    const errors = Object.entries(problem?.errors ?? {}).map(([field, messages]) => `${field}: ${[].concat(messages).join('; ')}`);
    const text = [problem?.title, problem?.detail, ...errors].filter(Boolean).join(' — ');
    super(`${status}${text ? ` ${text}` : ''}`);
    this.status = status;
    this.problem = problem;
  }

  static async from(response) {
    let problem = null;
    try { problem = JSON.parse(await response.text()); } catch { /* not JSON: the status alone says it */ }
    return new ApiError(response.status, problem ?? { title: response.statusText });
  }
}

/** Listeners told when the key is refused (401), so the page can ask for another one. */
const refusedListeners = [];
export function onKeyRefused(listener) { refusedListeners.push(listener); }

function headers(extra = {}) {
  return { Authorization: `Bearer ${session.key}`, ...extra };
}

async function send(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (!response.ok) {
    const error = await ApiError.from(response);
    if (response.status === 401) refusedListeners.forEach(listener => listener(error));
    throw error;
  }
  return response;
}

/** Calls the API and answers the parsed JSON body (null when there is none). */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const json = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const response = await send(path, {
    method, signal, body: json, headers: json === undefined ? {} : { 'Content-Type': 'application/json' },
  });
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Fetches a file with the key and hands it to the browser as a download (a blob link with a download attribute). */
export async function download(path, fileName) {
  const blob = await (await send(path)).blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

export const TerminalEvents = new Set(['job.completed', 'job.partially_completed', 'job.failed', 'job.cancelled']);

/**
 * Follows GET /v1/jobs/{id}/events until the stream ends (after the job's terminal event) or signal aborts, calling
 * onEvent({ type, id, data }) with the event's data object (jobId, status, counts, …). A dropped connection is opened
 * again with Last-Event-ID, so no event is seen twice or missed; an error of onEvent itself ends the stream.
 */
export async function followJobEvents(jobId, onEvent, signal) {
  let lastEventId = null;
  let handlerError = null;
  for (let failures = 0; !signal.aborted;) {
    try {
      const response = await send(`/v1/jobs/${jobId}/events`, {
        signal, headers: { Accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
      });
      await readServerSentEvents(response.body, event => {
        failures = 0;
        if (event.id) lastEventId = event.id;
        try {
          onEvent({ type: event.type, id: event.id, data: JSON.parse(event.data).data });
        } catch (error) {
          handlerError = error;
          throw error;
        }
      });
      return;
    } catch (error) {
      if (signal.aborted || error instanceof ApiError || error === handlerError) throw error;
      // The network or the gateway went away: try again, more slowly each time, up to 10 s apart.
      await new Promise(resolve => setTimeout(resolve, Math.min(10_000, 500 * 2 ** failures++)));
    }
  }
}

/** Parses a text/event-stream body as the HTML standard says (fields event, data, id; comments; any line ending). */
async function readServerSentEvents(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { type: '', data: [], id: null };
  const line = text => {
    if (text === '') {
      if (event.data.length > 0) dispatch({ type: event.type || 'message', id: event.id, data: event.data.join('\n') });
      event = { type: '', data: [], id: event.id };
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + (text[colon + 1] === ' ' ? 2 : 1));
    if (field === 'event') event.type = value;
    else if (field === 'data') event.data.push(value);
    else if (field === 'id' && !value.includes('\0')) event.id = value;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (let match; (match = /\r\n|\r|\n/.exec(buffer));) {
      // A \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      line(buffer.slice(0, match.index));
      buffer = buffer.slice(match.index + match[0].length);
    }
  }
}
