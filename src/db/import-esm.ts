/**
 * Loads an ES module from CommonJS output. The indirection keeps `import()` a real dynamic import:
 * transpilers (swc under jest) would otherwise rewrite it into `require()`, which cannot load
 * ESM-only packages such as the embedded Postgres binaries.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a real import() that tsc, compiling to CommonJS, would otherwise turn into require()
const dynamicImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;

export function importEsm<T>(specifier: string): Promise<T> {
  return dynamicImport(specifier) as Promise<T>;
}
