import type { NextFunction, Request, RequestHandler, Response } from "express";
import { inSequence } from "./http-graphql";

/** Runs a composed handler once; resolves with what it passed to `next` (undefined: plain next()). */
function run(handler: RequestHandler): Promise<{ calledNext: boolean; err: unknown }> {
  return new Promise((resolve) => {
    const next: NextFunction = (err?: unknown) => resolve({ calledNext: true, err });
    handler({} as Request, {} as Response, next);
    setTimeout(() => resolve({ calledNext: false, err: undefined }), 50);
  });
}

describe("inSequence", () => {
  it("runs the handlers in order, then calls next", async () => {
    const seen: string[] = [];
    const mark =
      (name: string): RequestHandler =>
      (_req, _res, next) => {
        seen.push(name);
        next();
      };
    expect(await run(inSequence(mark("a"), mark("b"), mark("c")))).toEqual({ calledNext: true, err: undefined });
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("stops at a handler that answers (does not call next)", async () => {
    const seen: string[] = [];
    const answer: RequestHandler = () => seen.push("answer");
    const after: RequestHandler = (_req, _res, next) => {
      seen.push("after");
      next();
    };
    expect((await run(inSequence(answer, after))).calledNext).toBe(false);
    expect(seen).toEqual(["answer"]);
  });

  it("hands errors to next, whether passed, thrown or rejected, and skips the rest", async () => {
    const boom = new Error("boom");
    const never: RequestHandler = () => {
      throw new Error("must not run");
    };
    const passed: RequestHandler = (_req, _res, next) => next(boom);
    const thrown: RequestHandler = () => {
      throw boom;
    };
    const rejected: RequestHandler = async () => {
      throw boom;
    };
    for (const failing of [passed, thrown, rejected]) {
      expect(await run(inSequence(failing, never))).toEqual({ calledNext: true, err: boom });
    }
  });

  it("treats a promise rejected without a reason as an error, and falsy next values as none (like express)", async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test: a rejection without a reason
    const rejectedEmpty: RequestHandler = () => Promise.reject(undefined);
    const outcome = await run(inSequence(rejectedEmpty));
    expect(outcome.calledNext).toBe(true);
    expect((outcome.err as Error).message).toBe("Rejected promise");
    const falsy: RequestHandler = (_req, _res, next) => next(false as never);
    expect(await run(inSequence(falsy))).toEqual({ calledNext: true, err: undefined });
  });
});
