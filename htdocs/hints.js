// Likely causes, in words: from explain's reason, the policy's rules, and
// the probe's view of the API server.

function parseOrigin(text) {
  try {
    const url = new URL(text);
    const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
    return { scheme: url.protocol.replace(':', ''), host: url.hostname.toLowerCase(), port };
  } catch (error) {
    return null;
  }
}

// "port or scheme mismatch" between an origin and the exact origins allowed.
export function nearMisses(origin, policy) {
  const mine = parseOrigin(origin);
  const rules = policy && policy.policy ? policy.policy.rules : [];
  const found = [];
  if (!mine) return found;
  for (const rule of rules) {
    if (rule.kind !== 'origin') continue;
    const theirs = parseOrigin(rule.text);
    if (!theirs || theirs.host !== mine.host) continue;
    if (theirs.scheme !== mine.scheme) {
      found.push(`scheme mismatch: ${origin} is not the allowed ${rule.text} (${mine.scheme} ≠ ${theirs.scheme})`);
    } else if (theirs.port !== mine.port) {
      found.push(`port mismatch: ${origin} is not the allowed ${rule.text} (port ${mine.port} ≠ ${theirs.port}; scheme, host and port must match exactly)`);
    }
  }
  return found;
}

function hasWildcard(policy) {
  const rules = policy && policy.policy ? policy.policy.rules : [];
  return rules.some((rule) => rule.kind === 'any');
}

// Why explain expects a block, in words.
export function reasonText(explained, origin, policy) {
  const expect = explained.expect;
  const preflightFailed = explained.preflight && !explained.preflight.browser.pass;
  const refused = preflightFailed && explained.preflight.decision.refuse_status;
  const prefix = refused ? `preflight not 2xx (${refused}): ` : '';
  switch (expect.reason) {
    case 'header-not-allowed':
      return `${prefix}header not allowed: ${expect.detail} is not in K8sCorsAllowHeaders`;
    case 'headers-malformed':
      return `${prefix}the requested header list is malformed`;
    case 'method-not-allowed':
      return `${prefix}method not allowed: ${expect.detail} is not in K8sCorsAllowMethods`;
    case 'wildcard-with-credentials':
      return `${prefix}credentials with *: a wildcard origin never works with credentials`;
    case 'credentials-not-allowed':
      return `${preflightFailed ? 'preflight: ' : ''}credentials not allowed for this origin's rule (K8sCorsAllowCredentials Off): `
        + 'a credentialed request needs Access-Control-Allow-Credentials: true';
    case 'origin-not-allowed':
    case 'origin-malformed':
    case 'origin-null': {
      const misses = nearMisses(origin, policy);
      return misses.length ? misses.join('; ') : `origin not allowed: ${origin} matches no K8sCorsAllowOrigin rule`;
    }
    default:
      break;
  }
  if (expect.cause && /credentials/i.test(expect.cause) && hasWildcard(policy)) {
    return 'credentials with *: ' + expect.cause;
  }
  return expect.cause ? prefix + expect.cause : expect.reason;
}

function probeSendsCors(probeResult) {
  if (!probeResult || !probeResult.body || !probeResult.body.exchanges) return false;
  return probeResult.body.exchanges.some((exchange) => (exchange.headers || [])
    .some(([name]) => name.toLowerCase() === 'access-control-allow-origin'));
}

// The likely cause shown next to a cell: why it is blocked, or why the
// browser and the policy disagree.
export function likelyCause(cell, context) {
  const { browser, explained } = cell;
  if (browser.csp) {
    return "blocked by this page's Content-Security-Policy: add the gateway's origin to connect-src (K8S_CORS_CONSOLE_GATEWAYS)";
  }
  if (!explained) {
    return browser.verdict === 'blocked' ? context.pageCause : null;
  }
  const expect = explained.expect;
  if (cell.match) {
    return browser.verdict === 'blocked' ? reasonText(explained, context.origin, context.policy) : null;
  }
  if (browser.verdict === 'blocked' && expect.verdict === 'allowed') {
    if (probeSendsCors(cell.probe)) {
      return 'duplicate Access-Control-Allow-Origin likely: the API server sends its own CORS headers (see the probe) and another layer (mod_headers, a second proxy) may add one more';
    }
    return `the gateway's answer differs from its policy: another layer adds or drops CORS headers, or ${cell.path} has another policy than ${context.policyPath}`;
  }
  if (browser.verdict === 'allowed' && expect.verdict === 'blocked') {
    return probeSendsCors(cell.probe)
      ? 'the API server\'s own CORS headers reached the browser (see the probe): the gateway does not apply its policy to this path'
      : 'the response carried CORS headers the policy does not grant: is the policy loaded the one in force for this path?';
  }
  return `status ${browser.status} where the policy expects ${expect.status}`;
}
