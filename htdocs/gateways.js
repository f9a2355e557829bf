// The gateways this page may send a bearer token to without asking: the
// list httpd puts in <meta name="k8s-cors-console-gateways"> from
// K8S_CORS_CONSOLE_GATEWAYS, the same value as the CSP's connect-src
// (conf/console/console-page.conf). Only exact origins count: a scheme
// source such as "https:" or a host wildcard names no gateway, and a page
// served without that list has no configured gateway at all.

export function configuredGateways(doc, pageOrigin) {
  const meta = doc.querySelector('meta[name="k8s-cors-console-gateways"]');
  const found = new Set();
  for (const source of (meta ? meta.content : '').split(/\s+/)) {
    if (source === "'self'") {
      found.add(pageOrigin);
      continue;
    }
    const origin = exactOrigin(source);
    if (origin) found.add(origin);
  }
  return [...found];
}

// "https://api.example.com[:port][/]" as an origin; null for anything else.
export function exactOrigin(text) {
  if (!/^https?:\/\/[^/*?#@\s]+\/?$/i.test(text)) return null;
  try {
    return new URL(text).origin;
  } catch (error) {
    return null;
  }
}
