/**
 * The V8 flags the gateway is meant to run with (README: "For process managers"; `npm start`, the
 * bench and the memory test start it with them; node-flags.test.ts checks `npm start` and every
 * command the README gives):
 * - `--max-semi-space-size=8`: the young generation at 8 MB a semi-space (Node's default is 16);
 * - `--heap-growing-percent=50`: after each full collection the old generation may grow to 1.5 × what
 *   survived before the next one. Left to V8, the factor follows how fast collection runs against
 *   the program, up to 4 ×: serving v1's page of 50 at 10 connections, a collection that kept 36.5 MB
 *   let the old generation fill to 127 MB of garbage before the next (heap 146 MB, 210 MB resident);
 *   with the flag, collections came at 55–66 MB and the heap stayed at 72–79 MB. Page 1 over GraphQL
 *   answered 0.98 × as many requests a second with it as without (two processes of each, four
 *   alternated rounds: within the noise). Unlike `--max-old-space-size`, it sets no ceiling.
 * The gateway runs correctly without them.
 */
export const NODE_FLAGS = ["--max-semi-space-size=8", "--heap-growing-percent=50"] as const;
