/**
 * What `GET /` shows outside production, and what the start banner prints: where the explorer,
 * health, readiness, metrics and REST docs are, and the README's first query as a command to paste.
 * In production `/` stays a 404 (nothing to advertise to the internet).
 */
export interface HomeLinks {
  /** The base URL the links start from, e.g. http://localhost:4000 */
  base: string;
  /** A key to put in the example (the demo user's on an embedded database), else a placeholder. */
  demoKey?: string;
  /** Whether the REST v1 docs are served (they follow INTROSPECTION). */
  restDocs: boolean;
  /** Whether GraphiQL is served at /graphiql (outside production). */
  graphiql?: boolean;
}

/** The links, one per line, as label and path. */
export function homeLinks(links: HomeLinks): Array<[label: string, path: string]> {
  return [
    ["GraphQL endpoint; open it in a browser for Apollo Sandbox (loads from Apollo's CDN)", "/graphql"],
    ...(links.graphiql ? ([["GraphiQL, served from this gateway (works offline)", "/graphiql"]] as Array<[string, string]>) : []),
    ["Liveness", "/healthz"],
    ["Readiness (the database answers)", "/readyz"],
    ["Prometheus metrics", "/metrics"],
    ...(links.restDocs ? ([["Cal.com API v1 routes: OpenAPI docs", "/v1/docs"]] as Array<[string, string]>) : []),
  ];
}

/** The README's first query, as a curl command. */
export function firstQuery(links: HomeLinks): string {
  return (
    `curl -s ${links.base}/graphql -H "authorization: Bearer ${links.demoKey ?? "<your API key>"}" ` +
    `-H 'content-type: application/json' -d '{"query":"{ me { id username email role } }"}'`
  );
}

export function homePage(links: HomeLinks): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = homeLinks(links)
    .map(([label, path]) => `<li><a href="${escape(path)}">${escape(path)}</a>: ${escape(label)}</li>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cal.com GraphQL gateway</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f3f3f3;padding:.2rem .4rem;border-radius:4px}pre{padding:1rem;white-space:pre-wrap;word-break:break-all}</style>
</head><body>
<h1>Cal.com GraphQL gateway</h1>
<p>Bookings over GraphQL on Cal.com's own tables. This page is shown outside production only.</p>
<ul>
${items}
</ul>
<h2>First query</h2>
<pre>${escape(firstQuery(links))}</pre>
<p>Send an API key as <code>Authorization: Bearer cal_…</code>${links.demoKey ? " (the start banner prints the demo keys)" : ""}. The README explains the rest.</p>
</body></html>
`;
}
