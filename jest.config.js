// swc strips types only; `npm run typecheck` does the type checking.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Installs redis-server when it is missing (as .ci/run does), or stops with one message.
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  setupFilesAfterEnv: ['<rootDir>/test/setup/stop-esbuild.ts'],
  // Generous: on a loaded shared machine a real cluster's start-up alone has taken over 60 s.
  // A test sets its own only to get longer, never shorter (a 60 s one failed under load in CI).
  testTimeout: 120_000,
  // Real processes and servers: keep suites from competing for the two cores.
  maxWorkers: 2,
  // After a failure, names the test files that ran beside it (a starved test or a broken one?).
  reporters: ['default', '<rootDir>/test/setup/neighbours-reporter.js'],
};
