/**
 * A value read from a JSON answer (GraphQL or REST) whose shape the test's assertions then check.
 * The tests read deep into these answers without narrowing first, and an assertion failing is the
 * check, so this is the one place the harness declares `any` for them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are read unchecked; the assertions check their shape
export type AnyJson = any;
