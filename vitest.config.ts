// vitest.config.ts — one test run for unit tests (next to their code) and test/ integration tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'store/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/support/fast-check-seed.ts'],
    globalSetup: ['test/support/global-setup.ts'],
  },
});
