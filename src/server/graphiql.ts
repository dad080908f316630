import { createRequire } from "node:module";
import path from "node:path";
import express, { type Router } from "express";

/**
 * GraphiQL at `/graphiql`, outside production: an explorer that works without internet (Apollo
 * Sandbox, on `GET /graphql`, loads from Apollo's CDN). Every file comes from node_modules: the
 * `graphiql` package's own bundle and stylesheet (3.x, the last line that ships them prebuilt),
 * React 18's UMD builds and graphql-ws's browser build for subscriptions over WebSocket.
 *
 * Headers typed in GraphiQL's headers tab are kept in the browser (localStorage) and sent with each
 * operation; a subscription's WebSocket sends their `Authorization` as its connection parameter. On an
 * embedded demo database the tab starts with the demo user's key.
 */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  "react.js": { pkg: "react", file: "umd/react.production.min.js", type: "text/javascript" },
  "react-dom.js": { pkg: "react-dom", file: "umd/react-dom.production.min.js", type: "text/javascript" },
  "graphql-ws.js": { pkg: "graphql-ws", file: "umd/graphql-ws.min.js", type: "text/javascript" },
  "graphiql.js": { pkg: "graphiql", file: "graphiql.min.js", type: "text/javascript" },
  "graphiql.css": { pkg: "graphiql", file: "graphiql.min.css", type: "text/css" },
};

export function graphiqlRouter(options: { demoKey?: string }): Router {
  const resolve = createRequire(__filename);
  const files = new Map(
    Object.entries(ASSETS).map(([name, a]) => [
      name,
      { path: path.join(path.dirname(resolve.resolve(`${a.pkg}/package.json`)), a.file), type: a.type },
    ]),
  );
  const router = express.Router();
  router.get("/", (_req, res) => {
    res.type("html").setHeader("cache-control", "no-store");
    res.send(page(options.demoKey));
  });
  router.get("/assets/:name", (req, res) => {
    const file = files.get(req.params.name);
    if (!file) return void res.status(404).json({ errors: [{ message: "Not found", extensions: { code: "NOT_FOUND" } }] });
    res.type(file.type).setHeader("cache-control", "public, max-age=86400");
    res.sendFile(file.path);
  });
  return router;
}

function page(demoKey: string | undefined): string {
  // JSON in a script element: `<` escaped so no value can close the element.
  const settings = JSON.stringify({ headers: demoKey ? JSON.stringify({ Authorization: `Bearer ${demoKey}` }, null, 2) : "{}" }).replace(
    /</g,
    "\\u003c",
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL · Cal.com GraphQL gateway</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.css">
<style>html,body,#graphiql{height:100%;margin:0}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphql-ws.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script>
(function () {
  var settings = ${settings};
  // The headers of the operation being run (GraphiQL hands the headers tab to the fetcher): a
  // subscription's WebSocket, opened lazily by that operation, sends their Authorization.
  var latestHeaders = {};
  var ws = graphqlWs.createClient({
    url: location.origin.replace(/^http/, "ws") + "/graphql",
    lazy: true,
    connectionParams: function () {
      var auth = latestHeaders.Authorization || latestHeaders.authorization;
      return auth ? { authorization: auth } : {};
    },
  });
  var base = GraphiQL.createFetcher({ url: "/graphql", wsClient: ws });
  var fetcher = function (params, options) {
    if (options && options.headers) latestHeaders = options.headers;
    return base(params, options);
  };
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: settings.headers,
      shouldPersistHeaders: true,
      defaultQuery: "{ me { username } }",
    }),
  );
})();
</script>
</body>
</html>
`;
}
