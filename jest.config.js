/** Jest runs the TypeScript sources through swc (decorator metadata on); `tsc` type-checks. */

// The whole suite runs with the process in New York (UTC-4/-5): Cal.com's times are UTC wall times in
// `timestamp without time zone` columns, and any code that lets the local zone leak in shows up here.
process.env.TZ = "America/New_York";

module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/src", "<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: {
          parser: { syntax: "typescript", decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: "es2022",
        },
        module: { type: "commonjs" },
      },
    ],
  },
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testTimeout: 60000,
  // A failed test can leave work behind (a load loop, a child's pipe) that keeps the process alive;
  // a red run must end red, not hang CI until its time limit. Jest still names the leak when it exits.
  forceExit: true,
  reporters: ["default", "<rootDir>/test/support/summary-reporter.js"],
};
