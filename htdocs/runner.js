// The console's requests: browser tests (fetch, as any page would send
// them), and the gateway's console CGI (explain, probe, policy).
// Nothing here stores anything: the token is passed in by the caller.

export const CONSOLE_API = '/k8s-cors-console/api';
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
export const CREDENTIALS = ['omit', 'include'];
export const HEADERS = ['none', 'authorization', 'content-type', 'x-custom'];
const PLACEHOLDER_TOKEN = 'console-test-no-token';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

// Every test: echo with every method, the read-only API path with GET only
// (the console never sends a write to the API server).
export function buildMatrix(apiPath) {
  const cells = [];
  for (const method of METHODS) {
    for (const credentials of CREDENTIALS) {
      for (const header of HEADERS) {
        cells.push(makeCell('echo', method, credentials, header, apiPath));
      }
    }
  }
  for (const credentials of CREDENTIALS) {
    for (const header of HEADERS) {
      cells.push(makeCell('api', 'GET', credentials, header, apiPath));
    }
  }
  return cells;
}

export function makeCell(target, method, credentials, header, apiPath) {
  const path = target === 'echo' ? CONSOLE_API + '/echo' : apiPath;
  return {
    id: [target, method, credentials, header].join('-'),
    target, method, credentials, header, path,
  };
}

// The header names a cell's script sets, as explain wants them.
export function headerNames(cell) {
  return cell.header === 'none' ? '' : cell.header;
}

// What the browser sends as Access-Control-Request-Headers for the cell.
export function unsafeHeaders(cell) {
  return cell.header === 'none' ? '' : cell.header;
}

function requestHeaders(cell, token) {
  const headers = {};
  if (cell.header === 'authorization') headers.Authorization = 'Bearer ' + (token || PLACEHOLDER_TOKEN);
  if (cell.header === 'content-type') headers['Content-Type'] = 'application/json';
  if (cell.header === 'x-custom') headers['X-Custom'] = 'k8s-cors-console';
  return headers;
}

const cspBlocked = new Set();
document.addEventListener('securitypolicyviolation', (event) => {
  cspBlocked.add(event.blockedURI);
});

function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// One test as the browser sees it. A TypeError is the browser refusing
// the response (CORS), a network error, or this page's CSP.
export async function browserTest(gateway, cell, token) {
  const url = gateway + cell.path;
  const init = {
    method: cell.method,
    headers: requestHeaders(cell, token),
    credentials: cell.credentials,
    mode: 'cors',
    cache: 'no-store',
    redirect: 'error',
    referrerPolicy: 'no-referrer',
  };
  if (BODY_METHODS.has(cell.method)) init.body = JSON.stringify({ 'k8s-cors-console': 'test' });
  try {
    const response = await fetch(url, init);
    const visible = {};
    for (const [name, value] of response.headers) visible[name] = value;
    await response.arrayBuffer().catch(() => null);
    return { verdict: 'allowed', status: response.status, headers: visible };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    await nextTask();
    const csp = [...cspBlocked].some((blocked) => url.startsWith(blocked) || blocked.startsWith(gateway));
    return { verdict: 'blocked', status: null, headers: {}, error: String(error.message), csp };
  }
}

async function consoleJson(url, init) {
  try {
    const response = await fetch(url, { ...init, credentials: 'omit', mode: 'cors', cache: 'no-store',
      redirect: 'error', referrerPolicy: 'no-referrer' });
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    return { reachable: true, status: response.status, body };
  } catch (error) {
    return { reachable: false, status: null, body: null, error: String(error.message) };
  }
}

export function loadPolicy(gateway) {
  return consoleJson(gateway + CONSOLE_API + '/policy', { method: 'GET' });
}

export function explain(gateway, origin, cell) {
  const query = new URLSearchParams({ origin, method: cell.method, credentials: cell.credentials });
  const names = headerNames(cell);
  if (names) query.set('headers', names);
  if (cell.header === 'content-type') query.set('content_type', 'application/json');
  return consoleJson(gateway + CONSOLE_API + '/explain?' + query.toString(), { method: 'GET' });
}

export function probe(gateway, apiPath, origin, cell) {
  const form = new URLSearchParams({ path: apiPath, origin, request_method: cell.method });
  const names = unsafeHeaders(cell);
  if (names) form.set('request_headers', names);
  return consoleJson(gateway + CONSOLE_API + '/probe', {
    method: 'POST',
    headers: { 'X-K8s-Cors-Console': '1', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

// The protocols the browser used (Resource Timing's nextHopProtocol, e.g.
// "h2" or "http/1.1"): for this page, and for the requests to the gateway,
// where browsers hide it ("") unless the response allows this page's timing
// (Timing-Allow-Origin); the console's own answers say what the gateway saw.
export function protocolsSeen(gateway) {
  const navigation = performance.getEntriesByType('navigation')[0];
  const toGateway = performance.getEntriesByType('resource')
    .filter((entry) => entry.name.startsWith(gateway + '/'))
    .map((entry) => entry.nextHopProtocol || 'hidden');
  return { page: navigation ? navigation.nextHopProtocol : null, gateway: [...new Set(toGateway)].sort() };
}

// Whether the gateway answers at all, without CORS: an opaque no-cors
// response resolves, a network or TLS failure throws.
export async function gatewayReachable(gateway) {
  try {
    await fetch(gateway + CONSOLE_API + '/echo', { mode: 'no-cors', credentials: 'omit', cache: 'no-store' });
    return true;
  } catch (error) {
    return false;
  }
}
