// The console page: reads the form, runs tests, renders results with
// textContent only, and writes a machine-readable summary into
// <pre id="verdicts">. The bearer token lives in the variable below and
// nowhere else (no storage, no cookie, no URL), and goes only to a gateway
// the operator configured, typed, or confirmed.
import {
  buildMatrix, makeCell, browserTest, explain, probe, loadPolicy, gatewayReachable, unsafeHeaders, protocolsSeen,
} from './runner.js';
import { likelyCause, reasonText, nearMisses } from './hints.js';
import {
  el, renderGrid, markSelected, summarySentence, renderAttention, renderDetail, renderProbes,
} from './grid.js';
import { configuredGateways } from './gateways.js';

let bearerToken = '';
let policyDocument = null;
let running = false;
let lastCells = [];
let lastSummary = null;

const $ = (id) => document.getElementById(id);
const pageOrigin = window.location.origin;
const configured = configuredGateways(document, pageOrigin);
// A gateway from the link (?gateway=) that the operator has not typed over.
let gatewayFromLink = false;
const confirmedGateways = new Set();


function setStatus(text) {
  $('status').textContent = text;
}

function setMessage(text, kind) {
  const node = $('message');
  node.hidden = !text;
  node.textContent = text || '';
  node.className = 'message ' + (kind || '');
}

function writeSummary(summary) {
  lastSummary = summary;
  $('verdicts').textContent = JSON.stringify(summary, null, 2);
  document.body.dataset.state = summary.state;
  $('export').disabled = summary.state !== 'done';
}

// The gateway's origin, or null when the URL is not an http(s) URL.
function gatewayOrigin() {
  const text = $('gateway').value.trim();
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return url.origin;
  } catch (error) {
    return null;
  }
}

function apiPath() {
  const path = $('api-path').value.trim() || '/api/v1/namespaces';
  return path.startsWith('/') ? path : '/' + path;
}

// ---- policy -------------------------------------------------------------------------

function renderPolicy(document_) {
  const box = $('policy');
  box.replaceChildren();
  box.className = '';
  const p = document_.policy;
  box.appendChild(el('p', {}, [
    el('span', { text: 'Mode ' }), el('strong', { text: p.mode, data: { mode: p.mode } }),
    el('span', { text: ` for ${document_.path} · denied origins: ${p.denied_origin} · refused methods: ${p.denied_method_status}` }),
  ]));
  const rows = p.rules.map((rule) => el('tr', {}, [
    el('td', { text: rule.kind }), el('td', {}, [el('code', { text: rule.text })]),
    el('td', { text: rule.settings.methods }), el('td', { text: rule.settings.headers }),
    el('td', { text: rule.settings.credentials ? 'on' : 'off' }),
    el('td', { text: shortSource(rule.source), attrs: { title: rule.source || '' } }),
  ]));
  if (rows.length === 0) rows.push(el('tr', {}, [el('td', { text: 'no origin is allowed', attrs: { colspan: 6 } })]));
  box.appendChild(el('div', { className: 'table-wrap' }, [el('table', { className: 'rules' }, [
    el('thead', {}, [el('tr', {}, ['Kind', 'Origin', 'Methods', 'Headers', 'Credentials', 'Configured at']
      .map((name) => el('th', { text: name, attrs: { scope: 'col' } })))]),
    el('tbody', {}, rows),
  ])]));
  if (document_.warnings.length) {
    box.appendChild(el('h3', { text: 'Warnings' }));
    box.appendChild(el('ul', { className: 'warnings' }, document_.warnings.map((w) => el('li', {}, [
      el('strong', { text: w.severity + ': ' }), el('span', { text: w.message }),
      w.attacker ? el('span', { text: ` (accepts ${w.attacker})` }) : null,
      w.suggestion ? el('span', { text: `; use ${w.suggestion}` }) : null,
      w.source ? el('span', { className: 'muted', text: ` — ${w.source}` }) : null,
    ]))));
  }
}

async function fetchPolicy(gateway) {
  const result = await loadPolicy(gateway);
  if (result.reachable && result.status === 200 && result.body && result.body.policy) {
    policyDocument = result.body;
    renderPolicy(policyDocument);
    return true;
  }
  policyDocument = null;
  $('policy').textContent = result.reachable
    ? `The console CGI answered ${result.status}: ${result.body && result.body.error ? result.body.error.message : ''}`
    : 'Blocked by the browser or unreachable: the policy cannot be read from this origin.';
  $('policy').className = 'muted';
  return false;
}

// ---- results ------------------------------------------------------------------------

function headerList(headers) {
  const names = Object.keys(headers || {});
  return names.length ? names.map((name) => `${name}: ${headers[name]}`).join('\n') : '(none visible)';
}

function probeText(result) {
  if (!result) return 'not run';
  if (!result.reachable) return 'probe unreachable: ' + (result.error || '');
  if (!result.body || !result.body.exchanges) {
    return `probe refused (${result.status}): ${result.body && result.body.error ? result.body.error.message : ''}`;
  }
  return `(asked over ${result.body.request_protocol || '?'})\n` + result.body.exchanges.map((exchange) => {
    if (!exchange.ok) return `${exchange.method} ${exchange.url}\n! ${exchange.error.phase}: ${exchange.error.message}`;
    return `${exchange.method} ${exchange.url}\n< ${exchange.raw_headers.replace(/\r\n$/, '').split('\r\n').join('\n< ')}`;
  }).join('\n\n');
}

// "…/httpd.conf:109" for a long "file:line".
function shortSource(source) {
  if (!source) return '?';
  const slash = source.lastIndexOf('/');
  return slash >= 0 ? '…/' + source.slice(slash + 1) : source;
}

function renderRow(cell, index) {
  const b = cell.browser;
  const e = cell.explained ? cell.explained.expect : null;
  const request = `${cell.method} ${cell.path}\ncredentials: ${cell.credentials}\nheader: ${cell.header}`;
  const browserCell = el('td', { className: 'verdict ' + b.verdict }, [
    el('strong', { text: b.verdict === 'blocked' ? (b.csp ? 'blocked by CSP' : 'blocked by the browser') : 'allowed' }),
    el('div', { text: b.status !== null ? `status ${b.status}` : b.error || '' }),
    b.verdict === 'allowed' ? el('pre', { text: headerList(b.headers) }) : null,
  ]);
  const policyCell = e
    ? el('td', { className: 'verdict ' + e.verdict }, [
      el('strong', { text: e.verdict }),
      el('div', { text: `${e.reason}${e.detail ? ' (' + e.detail + ')' : ''}${e.status ? ' · status ' + e.status : ''}` }),
      el('div', { className: 'muted', text: cell.explained.preflight_needed ? 'preflight first' : 'no preflight' }),
      e.rule ? el('div', { className: 'muted', text: `rule ${e.rule.name} (${shortSource(e.rule.source)})`,
        attrs: { title: e.rule.source || '' } }) : null,
    ])
    : el('td', { className: 'verdict unknown', text: 'unknown (explain blocked or unreachable)' });
  const probeCell = el('td', { text: cell.probe ? probeSummary(cell.probe) : 'not run' });
  const matchCell = el('td', { className: 'match' }, [
    el('strong', { text: cell.match === null ? '? no expectation' : cell.match ? '✓ matches' : '✗ MISMATCH' }),
    cell.cause ? el('div', { className: 'cause', text: cell.cause }) : null,
  ]);
  return el('tr', {
    className: cell.match === false ? 'mismatch' : cell.match ? 'ok' : 'unknown',
    data: { cell: cell.id, browser: b.verdict, expected: e ? e.verdict : 'unknown', match: String(cell.match) },
  }, [el('td', { text: index + 1 }), el('td', {}, [el('pre', { text: request })]), browserCell, policyCell,
    probeCell, matchCell]);
}

function probeSummary(result) {
  if (!result.reachable) return 'unreachable';
  if (!result.body || !result.body.exchanges) return `refused (${result.status})`;
  return result.body.exchanges.map((x) => (x.ok ? `${x.method} ${x.status}` : `${x.method} failed`)).join(' · ');
}

function cellSummary(cell) {
  const e = cell.explained ? cell.explained.expect : null;
  return {
    id: cell.id, target: cell.target, path: cell.path, method: cell.method,
    credentials: cell.credentials, header: cell.header,
    browser: { verdict: cell.browser.verdict, status: cell.browser.status, csp: !!cell.browser.csp,
      headers: Object.keys(cell.browser.headers || {}) },
    expected: e ? { verdict: e.verdict, status: e.status, reason: e.reason, detail: e.detail,
      preflight: cell.explained.preflight_needed } : null,
    probe: cell.probe && cell.probe.body && cell.probe.body.exchanges
      ? cell.probe.body.exchanges.map((x) => ({ method: x.method, ok: x.ok, status: x.ok ? x.status : null,
        error: x.ok ? null : x.error.message }))
      : null,
    probe_protocol: cell.probe && cell.probe.body ? cell.probe.body.request_protocol || null : null,
    match: cell.match, cause: cell.cause,
  };
}

// ---- where a token may go --------------------------------------------------------------

let pendingConfirmation = null;

function tokenMayGoTo(gateway) {
  return configured.includes(gateway) || !gatewayFromLink || confirmedGateways.has(gateway);
}

// A gateway the link chose and the configuration does not list: nothing is
// sent until the operator says so, for this gateway.
function askToSendToken(gateway, proceed) {
  pendingConfirmation = { gateway, proceed };
  $('confirm-text').textContent = `The gateway ${gateway} comes from the link that opened this page and is not one `
    + `of this console's configured gateways (${configured.join(', ') || 'none'}). The Authorization tests would send `
    + 'your bearer token to it. Send it only if you chose this gateway yourself.';
  $('confirm-send').textContent = `Send my token to ${gateway}`;
  $('confirm-gateway').hidden = false;
  $('confirm-cancel').focus();
  setStatus('Waiting for your answer: nothing has been sent.');
  writeSummary({ state: 'confirm', page_origin: pageOrigin, gateway, configured_gateways: configured });
}

function answerConfirmation(send) {
  const pending = pendingConfirmation;
  pendingConfirmation = null;
  $('confirm-gateway').hidden = true;
  if (!pending) return;
  if (send && gatewayOrigin() === pending.gateway) {
    confirmedGateways.add(pending.gateway);
    pending.proceed();
  } else {
    setStatus(`Cancelled: nothing was sent to ${pending.gateway}.`);
    writeSummary({ state: 'idle', page_origin: pageOrigin, gateway: pending.gateway, cancelled: true });
  }
}

function showGatewayOrigin() {
  const gateway = gatewayOrigin();
  const note = configured.length ? `Configured gateways: ${configured.join(', ')}.`
    : 'No configured gateway: a token goes only to a gateway you type or confirm.';
  const fromLink = gateway && gatewayFromLink && !configured.includes(gateway)
    ? ` ${gateway} comes from the link, not from the configuration: the page asks before sending a token to it.` : '';
  $('gateway-origin-note').textContent = note + fromLink;
  $('gateway-origin-note').className = fromLink ? 'warn-text' : 'muted';
}

// ---- the grid -----------------------------------------------------------------------------

const FORMAT = { headerList, probeText, probeSummary };

function selectCell(id, focus) {
  const cell = lastCells.find((candidate) => candidate.id === id && candidate.browser);
  if (!cell) return;
  markSelected($('grid'), id);
  renderDetail($('cell-detail'), cell, FORMAT);
  if (focus) {
    const button = $('grid').querySelector(`button[data-cell="${CSS.escape(id)}"]`);
    if (button) {
      button.focus();
      button.scrollIntoView({ block: 'nearest' });
    }
  }
}

function showGrid(cells) {
  renderGrid($('grid'), cells.filter((cell) => cell.browser), selectCell);
}

// ---- running ------------------------------------------------------------------------

async function runCells(cells, label) {
  const gateway = gatewayOrigin();
  if (!gateway) {
    setStatus('Enter the gateway URL (https://host[:port]).');
    writeSummary({ state: 'error', message: 'no gateway URL' });
    return;
  }
  if (running) return;
  if (bearerToken && !tokenMayGoTo(gateway)) {
    askToSendToken(gateway, () => runCells(cells, label));
    return;
  }
  running = true;
  // The token as it was when the run was allowed: one typed during the run waits for the next.
  const token = bearerToken;
  lastCells = cells;
  for (const cell of cells) delete cell.browser;
  $('sentence').textContent = '';
  $('attention').replaceChildren();
  $('cell-detail').replaceChildren();
  showGrid(cells);
  const path = apiPath();
  const withProbe = $('with-probe').checked;
  const tbody = $('results').querySelector('tbody');
  tbody.replaceChildren();
  setMessage('');
  writeSummary({ state: 'running', page_origin: pageOrigin, gateway });
  setStatus(`Loading the policy from ${gateway}…`);
  const policyLoaded = await fetchPolicy(gateway);
  const policyPath = policyDocument ? policyDocument.path : '/';
  const probes = new Map();
  let explainReachable = false;
  for (const [index, cell] of cells.entries()) {
    setStatus(`${label}: test ${index + 1} of ${cells.length} — ${cell.method} ${cell.path}`);
    cell.browser = await browserTest(gateway, cell, token);
    const explained = await explain(gateway, pageOrigin, cell);
    cell.explained = explained.reachable && explained.status === 200 && explained.body ? explained.body.explain : null;
    explainReachable = explainReachable || !!cell.explained;
    if (withProbe) {
      const key = cell.method + '|' + unsafeHeaders(cell);
      if (!probes.has(key)) probes.set(key, await probe(gateway, path, pageOrigin, cell));
      cell.probe = probes.get(key);
    }
    const e = cell.explained ? cell.explained.expect : null;
    cell.match = e ? e.verdict === cell.browser.verdict && (e.status === null || e.status === cell.browser.status) : null;
    tbody.appendChild(renderRow(cell, index));
    showGrid(cells);
  }
  const reachable = explainReachable || policyLoaded || await gatewayReachable(gateway);
  const allBlocked = cells.every((cell) => cell.browser.verdict === 'blocked');
  let pageCause = null;
  let originAllowed = explainReachable ? true : null;
  if (!explainReachable && reachable && allBlocked) {
    originAllowed = false;
    pageCause = `the gateway does not allow this page's origin ${pageOrigin}: scheme, host and port must match a K8sCorsAllowOrigin entry exactly`;
    setMessage(`Blocked by the browser: the gateway ${gateway} answered, but its CORS policy does not allow this page's origin (${pageOrigin}). `
      + `Every request was blocked. Check K8sCorsAllowOrigin (https://app.example.com:443 ≠ https://app.example.com:8443), `
      + `or open ${gateway}/k8s-cors-console/api/policy in a new tab to see the allowed origins.`, 'bad');
  } else if (!reachable) {
    pageCause = 'the gateway is unreachable from this browser (network, TLS certificate, or this page\'s CSP connect-src)';
    setMessage(`The gateway ${gateway} is unreachable from this browser: check the URL, its TLS certificate, and this page's CSP connect-src.`, 'bad');
  }
  if (gateway === pageOrigin) {
    setMessage(`This page is served from the gateway's own origin (${gateway}): browsers apply no CORS to same-origin `
      + 'requests, so every test is allowed. Serve the page from the operators\' origin, another virtual host '
      + '(conf/console/console-page.conf), whose origin the gateway allows.', 'warn');
  }
  const context = { origin: pageOrigin, policy: policyDocument, policyPath, pageCause };
  for (const [index, cell] of cells.entries()) {
    cell.cause = likelyCause(cell, context);
    tbody.children[index].replaceWith(renderRow(cell, index));
  }
  const mismatches = cells.filter((cell) => cell.match === false).length;
  const allowed = cells.filter((cell) => cell.browser.verdict === 'allowed').length;
  const summaryText = `${cells.length} tests: ${allowed} allowed, ${cells.length - allowed} blocked by the browser; `
    + (explainReachable ? `${mismatches} mismatch${mismatches === 1 ? '' : 'es'} with the policy.` : 'no policy expectation (explain unreachable).');
  $('summary').textContent = summaryText;
  $('summary').className = 'summary ' + (mismatches || !explainReachable ? 'bad' : 'good');
  const sentence = summarySentence(pageOrigin, cells, context);
  $('sentence').textContent = sentence;
  showGrid(cells);
  renderAttention($('attention'), cells, selectCell);
  renderProbes($('probes'), probes, FORMAT);
  const first = cells.find((cell) => cell.match === false) || cells.find((cell) => cell.browser.verdict === 'blocked');
  if (first) selectCell(first.id, false);
  setStatus(`${label} done.`);
  writeSummary({
    state: 'done', page_origin: pageOrigin, gateway, policy_path: policyPath, policy_loaded: policyLoaded,
    explain_reachable: explainReachable, gateway_reachable: reachable, origin_allowed: originAllowed,
    same_origin: gateway === pageOrigin,
    message: $('message').hidden ? null : $('message').textContent, summary: summaryText, sentence,
    counts: { tests: cells.length, allowed, blocked: cells.length - allowed, mismatches },
    token_used: token !== '',
    protocols: protocolsSeen(gateway),
    cells: cells.map(cellSummary),
  });
  running = false;
}

function singleCell() {
  const target = $('single-target').value;
  const method = target === 'api' ? 'GET' : $('single-method').value;
  return makeCell(target, method, $('single-credentials').value, $('single-header').value, apiPath());
}

async function explainOther() {
  const gateway = gatewayOrigin();
  const origin = $('other-origin').value.trim();
  const box = $('explain-result');
  box.replaceChildren();
  if (!gateway || !origin) {
    box.textContent = 'Enter the gateway URL and an origin.';
    return;
  }
  if (!policyDocument) await fetchPolicy(gateway);
  const cell = singleCell();
  const result = await explain(gateway, origin, cell);
  if (!result.reachable || !result.body || !result.body.explain) {
    box.textContent = result.reachable ? `explain answered ${result.status}` : 'explain is blocked or unreachable from this page.';
    box.dataset.verdict = 'unknown';
    return;
  }
  const explained = result.body.explain;
  const verdict = explained.expect.verdict;
  box.dataset.verdict = verdict;
  const hint = verdict === 'blocked' ? reasonText(explained, origin, policyDocument) : null;
  const misses = nearMisses(origin, policyDocument);
  box.appendChild(el('p', {}, [
    el('strong', { className: 'verdict ' + verdict, text: `${cell.method} from ${origin}: ${verdict}` }),
    el('span', { text: ` — ${explained.expect.reason}${explained.preflight_needed ? ', after a preflight' : ''}` }),
  ]));
  // What the gateway saw (the CGI's SERVER_PROTOCOL), and how this page came.
  box.dataset.protocol = result.body.request_protocol || '';
  box.appendChild(el('p', { className: 'muted protocol',
    text: `The gateway answered over ${result.body.request_protocol || 'an unknown protocol'}; `
      + `this page came over ${protocolsSeen(gateway).page || 'an unknown protocol'}.` }));
  if (hint) box.appendChild(el('p', { className: 'cause', text: 'Likely cause: ' + hint }));
  else if (misses.length) box.appendChild(el('p', { className: 'cause', text: misses.join('; ') }));
  box.appendChild(el('pre', { className: 'raw', text: JSON.stringify(explained, null, 2) }));
  document.body.dataset.explained = verdict;
}

// The machine-readable result, as shown under "Machine-readable summary".
function exportResult() {
  if (!lastSummary || lastSummary.state !== 'done') return;
  const blob = new Blob([JSON.stringify(lastSummary, null, 2) + '\n'], { type: 'application/json' });
  const host = new URL(lastSummary.gateway).host.replace(/[^A-Za-z0-9.-]/g, '_');
  const link = el('a', { attrs: { href: URL.createObjectURL(blob), download: `k8s-cors-console-${host}.json` } });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// ---- wiring -------------------------------------------------------------------------

function init() {
  $('page-origin').textContent = pageOrigin;
  const params = new URLSearchParams(window.location.search);
  $('configured-gateways').replaceChildren(...configured.map((origin) => el('option', { attrs: { value: origin } })));
  if (params.get('gateway')) {
    $('gateway').value = params.get('gateway');
    gatewayFromLink = true;
  } else if (configured.length === 1) {
    $('gateway').value = configured[0];
  }
  // Typed by the operator (a script setting .value fires no input event).
  $('gateway').addEventListener('input', (event) => {
    if (event.isTrusted) gatewayFromLink = false;
    showGatewayOrigin();
  });
  showGatewayOrigin();
  $('confirm-send').addEventListener('click', () => answerConfirmation(true));
  $('confirm-cancel').addEventListener('click', () => answerConfirmation(false));
  $('confirm-gateway').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') answerConfirmation(false);
  });
  $('export').addEventListener('click', exportResult);
  if (params.get('path')) $('api-path').value = params.get('path');
  if (params.get('explain_origin')) $('other-origin').value = params.get('explain_origin');
  if (params.get('probe') === '0') $('with-probe').checked = false;

  $('use-token').addEventListener('click', () => {
    bearerToken = $('token').value.trim();
    $('token').value = '';
    $('token-state').textContent = bearerToken ? 'token in memory (sent with the Authorization tests)' : 'no token';
  });
  $('forget-token').addEventListener('click', () => {
    bearerToken = '';
    $('token').value = '';
    $('token-state').textContent = 'no token: Authorization tests send a placeholder';
  });
  $('load-policy').addEventListener('click', async () => {
    const gateway = gatewayOrigin();
    if (!gateway) { setStatus('Enter the gateway URL (https://host[:port]).'); return; }
    setStatus(`Loading the policy from ${gateway}…`);
    setStatus(await fetchPolicy(gateway) ? 'Policy loaded.' : 'The policy could not be read from this origin.');
  });
  $('run-matrix').addEventListener('click', () => runCells(buildMatrix(apiPath()), 'Matrix'));
  $('run-single').addEventListener('click', () => runCells([singleCell()], 'Single test'));
  $('run-explain').addEventListener('click', explainOther);
  $('single-target').addEventListener('change', () => {
    $('single-method').disabled = $('single-target').value === 'api';
  });

  if (gatewayOrigin()) setStatus('Ready: load the policy, run a single test or the matrix.');
  document.body.dataset.state = 'idle';
  const run = params.get('run');
  const gateway = gatewayOrigin();
  if (run && gateway && gatewayFromLink && !configured.includes(gateway)) {
    // A link starts tests only against a configured gateway.
    setStatus(`The link asks to run tests against ${gateway}, which is not configured here: press Run to start them.`);
  } else if (run === 'matrix') runCells(buildMatrix(apiPath()), 'Matrix');
  else if (run === 'single') runCells([singleCell()], 'Single test');
  if (params.get('explain_origin') && run !== 'matrix') explainOther();
}

init();
