// The matrix at a glance: methods down, request headers across, one table
// per credentials mode; each cell shows the browser's verdict in words and
// colour, marked where the policy (explain) expects otherwise. Every word
// here comes from a cell's browser result, explain's answer or the likely
// cause already computed for the full table: the grid decides nothing.
import { METHODS, CREDENTIALS, HEADERS } from './runner.js';

export const HEADER_LABELS = {
  none: 'no extra header',
  authorization: 'Authorization',
  'content-type': 'Content-Type: application/json',
  'x-custom': 'X-Custom',
};
// Column heads on a phone; the full label stays for screen readers.
const HEADER_SHORT = { none: 'none', authorization: 'Auth', 'content-type': 'C-Type JSON', 'x-custom': 'X-Custom' };
const CREDENTIALS_LABELS = {
  omit: 'credentials: omit (no cookies)',
  include: 'credentials: include (cookies)',
};

// The one element builder of the page (textContent only, never HTML).
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.className) node.className = options.className;
  for (const [name, value] of Object.entries(options.data || {})) node.dataset[name] = String(value);
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, String(value));
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function cellId(target, method, credentials, header) {
  return [target, method, credentials, header].join('-');
}

export function cellLabel(cell) {
  return `${cell.method} ${cell.path} · ${cell.credentials === 'include' ? 'credentials include' : 'credentials omit'}`
    + ` · ${HEADER_LABELS[cell.header]}`;
}

// The grid's rows: every method against echo, then GET on the API path.
function gridRows(cells) {
  const rows = METHODS.map((method) => ({ target: 'echo', method, label: method, note: 'echo' }));
  const api = cells.find((cell) => cell.target === 'api');
  if (api) rows.push({ target: 'api', method: 'GET', label: 'GET', note: api.path });
  return rows;
}

export function verdictWords(cell) {
  const b = cell.browser;
  if (b.verdict === 'allowed') return { mark: '✓', word: 'allowed', status: b.status !== null ? String(b.status) : '' };
  return { mark: '✗', word: b.csp ? 'blocked (CSP)' : 'blocked', status: '' };
}

function gridCell(cell, select) {
  if (!cell) return el('td', { className: 'cell not-run' }, [el('span', { text: '— not run' })]);
  const words = verdictWords(cell);
  const expected = cell.explained ? cell.explained.expect.verdict : null;
  const button = el('button', {
    attrs: { type: 'button', 'aria-pressed': 'false', title: cellLabel(cell) },
    data: { cell: cell.id, browser: cell.browser.verdict, expected: expected || 'unknown', match: String(cell.match) },
  }, [
    el('span', { className: 'mark', text: words.mark, attrs: { 'aria-hidden': 'true' } }),
    el('span', { className: 'word', text: ' ' + words.word }),
    words.status ? el('span', { className: 'code', text: ' ' + words.status }) : null,
    cell.match === false ? el('span', { className: 'disagree', text: ` ≠ policy: ${expected}` }) : null,
    cell.match === null ? el('span', { className: 'disagree', text: ' ? no policy' }) : null,
  ]);
  button.addEventListener('click', () => select(cell.id));
  return el('td', {
    className: ['cell', cell.browser.verdict, cell.match === false ? 'mismatch' : ''].join(' ').trim(),
  }, [button]);
}

// Arrow keys move between the cells of one table, as in a spreadsheet.
function arrowKeys(table) {
  table.addEventListener('keydown', (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    const td = event.target.closest('td');
    if (!move || !td) return;
    const row = td.parentElement.sectionRowIndex + move[0];
    const column = td.cellIndex + move[1];
    const rows = table.tBodies[0].rows;
    if (row < 0 || row >= rows.length || column < 1 || column >= rows[row].cells.length) return;
    const button = rows[row].cells[column].querySelector('button');
    if (button) {
      button.focus();
      event.preventDefault();
    }
  });
}

export function renderGrid(container, cells, select) {
  const byId = new Map(cells.map((cell) => [cell.id, cell]));
  const tables = CREDENTIALS.map((credentials) => {
    const head = el('tr', {}, [el('th', { text: 'Method', attrs: { scope: 'col' } }),
      ...HEADERS.map((header) => el('th', { attrs: { scope: 'col' } }, [
        el('span', { className: 'long', text: HEADER_LABELS[header] }),
        el('span', { className: 'short', text: HEADER_SHORT[header], attrs: { 'aria-hidden': 'true' } }),
      ]))]);
    const body = gridRows(cells).map((row) => el('tr', {}, [
      el('th', { attrs: { scope: 'row' } }, [el('span', { text: row.label }),
        el('span', { className: 'muted path', text: ' ' + row.note })]),
      ...HEADERS.map((header) => gridCell(byId.get(cellId(row.target, row.method, credentials, header)), select)),
    ]));
    const table = el('table', { className: 'verdict-grid', data: { credentials } }, [
      el('caption', { text: CREDENTIALS_LABELS[credentials] }),
      el('thead', {}, [head]), el('tbody', {}, body),
    ]);
    arrowKeys(table);
    return el('div', { className: 'grid-wrap' }, [table]);
  });
  container.replaceChildren(...tables);
}

export function markSelected(container, id) {
  for (const button of container.querySelectorAll('button[data-cell]')) {
    button.setAttribute('aria-pressed', String(button.dataset.cell === id));
  }
}

// ---- the summary sentence --------------------------------------------------------------

// Why a cell the browser blocked is blocked, in a few words.
function blockedPhrase(cell) {
  if (cell.browser.csp) return "blocked by this page's CSP";
  if (!cell.explained) return 'blocked by the browser';
  const expect = cell.explained.expect;
  if (expect.verdict === 'allowed') return 'blocked by the browser although the policy allows it';
  const preflight = cell.explained.preflight;
  const refused = preflight && preflight.decision ? preflight.decision.refuse_status : null;
  if (refused && expect.reason === 'method-not-allowed') return `refused with ${refused}`;
  return 'blocked by the policy';
}

function joinWords(words) {
  if (words.length <= 1) return words.join('');
  return words.slice(0, -1).join(', ') + ' and ' + words[words.length - 1];
}

// "X and Y blocked by the policy, Z refused with 405".
function groupedPhrases(items) {
  const groups = new Map();
  for (const [subject, phrase] of items) {
    if (!groups.has(phrase)) groups.set(phrase, []);
    groups.get(phrase).push(subject);
  }
  return [...groups].map(([phrase, subjects]) => `${joinWords(subjects)} ${phrase}`);
}

export function summarySentence(origin, cells, context) {
  if (cells.length === 0) return '';
  if (context.pageCause) return `From ${origin}: every request blocked; ${context.pageCause}.`;
  const byId = new Map(cells.map((cell) => [cell.id, cell]));
  const allowed = (cell) => cell.browser.verdict === 'allowed';
  const parts = [];
  const mismatches = cells.filter((cell) => cell.match === false).length;
  if (mismatches) {
    parts.push(`${mismatches} request${mismatches === 1 ? '' : 's'} where the browser and the policy disagree (marked ≠)`);
  }

  const base = METHODS.map((method) => byId.get(cellId('echo', method, 'omit', 'none'))).filter(Boolean);
  const methodsAllowed = base.filter(allowed).map((cell) => cell.method);
  const writes = base.filter((cell) => cell.method !== 'GET');
  const readsOk = methodsAllowed.includes('GET');
  const writesOk = writes.length > 0 && writes.every(allowed);
  if (readsOk && writesOk) parts.push('reads and writes allowed');
  else if (readsOk && methodsAllowed.length === 1) parts.push('reads allowed');
  else if (methodsAllowed.length) parts.push(`${joinWords(methodsAllowed)} allowed`);
  parts.push(...groupedPhrases(base.filter((cell) => !allowed(cell)).map((cell) => [cell.method, blockedPhrase(cell)])));

  // A header or credentials mode, where the same request without it is allowed.
  const counterpart = (cell, change) => byId.get(cellId(cell.target, cell.method, change.credentials || cell.credentials,
    change.header || cell.header));
  const okHeaders = [];
  const headerItems = [];
  for (const header of HEADERS.filter((name) => name !== 'none')) {
    const pairs = cells.filter((cell) => cell.header === header && cell.credentials === 'omit')
      .filter((cell) => { const plain = counterpart(cell, { header: 'none' }); return plain && allowed(plain); });
    if (!pairs.length) continue;
    const blocked = pairs.filter((cell) => !allowed(cell));
    const name = HEADER_LABELS[header].split(':')[0];
    if (!blocked.length) okHeaders.push(name);
    else {
      headerItems.push([`${name} header`,
        blockedPhrase(blocked[0]) + (blocked.length < pairs.length ? ' on some requests' : '')]);
    }
  }
  if (okHeaders.length) parts.push(`${joinWords(okHeaders)} header${okHeaders.length === 1 ? '' : 's'} allowed`);
  parts.push(...groupedPhrases(headerItems));

  const credentialed = cells.filter((cell) => cell.credentials === 'include')
    .filter((cell) => { const plain = counterpart(cell, { credentials: 'omit' }); return plain && allowed(plain); });
  if (credentialed.length) {
    const blocked = credentialed.filter((cell) => !allowed(cell));
    if (!blocked.length) parts.push('credentials allowed');
    else parts.push(`credentials ${blockedPhrase(blocked[0])}${blocked.length < credentialed.length ? ' on some requests' : ''}`);
  }

  const api = byId.get(cellId('api', 'GET', 'omit', 'none'));
  if (api) {
    parts.push(allowed(api) ? `GET ${api.path} readable (the API server answered ${api.browser.status})`
      : `GET ${api.path} ${blockedPhrase(api)}`);
  }
  return `From ${origin}: ${parts.join(', ')}.`;
}

// ---- what needs attention first ----------------------------------------------------------

// Mismatches, then blocked cells, grouped by their likely cause; each cell
// a button that selects it in the grid.
export function renderAttention(container, cells, select) {
  const groups = new Map();
  const add = (key, cell) => {
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(cell);
  };
  for (const cell of cells.filter((c) => c.match === false)) add('≠ mismatch: ' + (cell.cause || 'no likely cause'), cell);
  for (const cell of cells.filter((c) => c.match !== false && c.browser.verdict === 'blocked')) {
    add('✗ blocked: ' + (cell.cause || (cell.explained ? cell.explained.expect.reason : 'no likely cause')), cell);
  }
  if (!groups.size) {
    container.replaceChildren(el('p', { className: 'muted', text: 'Nothing blocked, no mismatch.' }));
    return;
  }
  const items = [...groups].map(([title, members]) => el('li', {
    className: title.startsWith('≠') ? 'mismatch' : 'blocked',
  }, [
    el('span', { text: `${title} (${members.length} request${members.length === 1 ? '' : 's'}) ` }),
    el('span', { className: 'chips' }, members.map((cell) => {
      const chip = el('button', { className: 'chip', text: `${cell.method}${cell.target === 'api' ? ' API' : ''} · `
        + `${HEADER_LABELS[cell.header]} · ${cell.credentials}`, attrs: { type: 'button' }, data: { cell: cell.id } });
      chip.addEventListener('click', () => select(cell.id, true));
      return chip;
    })),
  ]));
  container.replaceChildren(el('ul', { className: 'attention-list' }, items));
}

// ---- one cell, explained ------------------------------------------------------------------

export function renderDetail(container, cell, format) {
  const b = cell.browser;
  const explained = cell.explained;
  const e = explained ? explained.expect : null;
  const words = verdictWords(cell);
  const rows = [
    ['Browser', [el('strong', { className: 'verdict ' + b.verdict, text: `${words.mark} ${words.word}` }),
      el('span', { text: b.status !== null ? ` · status ${b.status}` : (b.error ? ` · ${b.error}` : '') })]],
    ['Policy (explain)', e
      ? [el('strong', { className: 'verdict ' + e.verdict, text: e.verdict }),
        el('span', { text: ` · ${e.reason}${e.detail ? ' (' + e.detail + ')' : ''}${e.status ? ' · status ' + e.status : ''}`
          + ` · ${explained.preflight_needed ? 'preflight first' : 'no preflight'}` })]
      : [el('span', { text: 'unknown: explain blocked or unreachable' })]],
    ['Rule', [el('span', { text: e && e.rule ? `${e.rule.name} (${e.rule.source || '?'})` : 'none' })]],
    ['Browser and policy', [el('strong', {
      className: cell.match === false ? 'verdict blocked' : '',
      text: cell.match === null ? '? no expectation' : cell.match ? '✓ agree' : '≠ disagree',
    })]],
    ['Likely cause', [el('span', { text: cell.cause || (b.verdict === 'allowed' ? 'none: allowed' : 'unknown') })]],
    ['Headers the script saw', [el('pre', { className: 'raw', text: format.headerList(b.headers) })]],
    ['API server (probe)', [el('pre', { className: 'raw', text: format.probeText(cell.probe) })]],
  ];
  container.replaceChildren(
    el('h3', { text: cellLabel(cell) }),
    el('dl', { className: 'detail' }, rows.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, value)])),
    explained ? el('details', {}, [el('summary', { text: 'explain, raw' }),
      el('pre', { className: 'raw', text: JSON.stringify(explained, null, 2) })]) : null,
  );
  container.dataset.cell = cell.id;
}

// The probe, once: the server-side exchanges, one entry per distinct
// answer (the API server mostly answers every method and header alike).
export function renderProbes(container, probes, format) {
  if (!probes.size) {
    container.replaceChildren(el('p', { className: 'muted', text: 'Not run.' }));
    return;
  }
  const answers = new Map();
  for (const [key, result] of probes) {
    const summary = format.probeSummary(result);
    if (!answers.has(summary)) answers.set(summary, { result, requests: [] });
    const [method, headers] = key.split('|');
    answers.get(summary).requests.push(method + (headers ? ' + ' + headers : ''));
  }
  container.replaceChildren(...[...answers].map(([summary, answer]) => el('details', {}, [
    el('summary', { text: `${summary}: for ${answer.requests.length === probes.size && probes.size > 1
      ? 'every probed request' : joinWords(answer.requests)}` }),
    el('p', { className: 'muted', text: `Probed preflight and GET for: ${answer.requests.join(', ')}. The first, raw:` }),
    el('pre', { className: 'raw', text: format.probeText(answer.result) }),
  ])));
}
