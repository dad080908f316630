import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { endWithParts } from "./json-response";
import { RawJsonSink } from "../read-path/raw-json";

/**
 * Runs express handlers one after another as ONE handler: what `app.use(path, a, b, c)` does, without
 * a router layer per handler. Express's router costs per layer on every request (path matching,
 * prefix trimming, debug calls); for the GraphQL route's five handlers that was about a tenth of the
 * CPU time of a small request (paired runs). A handler's error, thrown or rejected, goes to `next`.
 */
export function inSequence(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let index = 0;
    // Like express's router: a falsy value or "route" means "go on", anything else is an error.
    const step = (err?: unknown): void => {
      if (err && err !== "route") return next(err);
      const handler = handlers[index++];
      if (!handler) return next();
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch((rejection: unknown) => next(rejection || new Error("Rejected promise")));
      } catch (thrown) {
        next(thrown || new Error("Handler threw a falsy value"));
      }
    };
    step();
  };
}

/**
 * Apollo Server as an express handler (after a body parser has set `req.body`), built on
 * `executeHTTPGraphQLRequest` the way Apollo's express integration is, minus its per-request legacy
 * URL parsing and express's `res.send` (content negotiation and freshness checks a GraphQL answer
 * never needs). Headers, status and body are Apollo's, with the read path's raw JSON texts spliced
 * in (src/read-path/raw-json.ts); incremental bodies are streamed.
 */
export function apolloHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (req: Request, res: Response, rawJson: RawJsonSink) => Promise<TContext>,
): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  server.assertStarted("apolloHandler()");
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const name in req.headers) {
      const value = req.headers[name];
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = req.url;
    const query = url.indexOf("?");
    // JSON texts of the fields the read path answered, put in place once Apollo has written the rest.
    const rawJson = new RawJsonSink();
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: query < 0 ? "" : url.slice(query), body: req.body },
      context: () => context(req, res, rawJson),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      endWithParts(res, rawJson.parts(response.body.string));
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
