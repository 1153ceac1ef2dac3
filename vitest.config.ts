import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'web/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Each file gets its own database (PGlite in memory, or its own schema on the server), so files
    // may run in parallel; two workers match the 2-core machines we run on.
    pool: 'forks',
    maxWorkers: 2,
  },
})
