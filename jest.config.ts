import type { Config } from 'jest';

const tsJest: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};

const base: Config = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testEnvironment: 'node',
  transform: tsJest,
};

const config: Config = {
  // Each project is one tier: unit (mocks allowed, beside the code), integration and e2e
  // (real PostgreSQL, Redis, SMTP; each test file gets its own database and key prefix).
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/sdk/src/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
      slowTestThreshold: 20,
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
      slowTestThreshold: 30,
    },
    {
      // Property-based fuzzing of every REST operation and socket event (fast-check), bounded in time.
      ...base,
      displayName: 'fuzz',
      testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
      slowTestThreshold: 120,
    },
    {
      // Fault injection against two replica processes behind nginx, each file with its own
      // PostgreSQL cluster, Redis and SMTP server (test/support/chaos-cluster.ts).
      ...base,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
      slowTestThreshold: 120,
    },
    {
      // The web client (client/) in Debian's chromium via playwright-core (test/browser/support).
      ...base,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
      slowTestThreshold: 120,
    },
    // Minutes long: only under `npm run test:chaos` / `npm run test:soak`.
    ...(process.env.CHAOS_FULL === '1'
      ? [
          {
            ...base,
            displayName: 'soak',
            testMatch: ['<rootDir>/test/chaos/**/*.soak-spec.ts'],
            globalSetup: '<rootDir>/test/support/global-setup.ts',
            setupFiles: ['<rootDir>/test/support/env.ts'],
          },
        ]
      : []),
  ],
  maxWorkers: 2,
  testTimeout: 30_000,
};

export default config;
