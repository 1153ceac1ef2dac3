import { defineConfig } from 'vitest/config'

/*
 * Tests in tiers. `npm test` runs every project; `npm run test:unit` only the fast ones.
 *
 *   unit     pure logic in node: no database, no app, no browser (npm run test:unit, with web)
 *   web      the dashboard's own tests under web/ (happy-dom via each file's pragma, no server)
 *   db       a database from test/helpers/db.ts (createTestDatabase), but no app
 *   app      a built app (test/helpers/app.ts, buildApp, a Fastify instance, app.inject,
 *            listen, WebSockets): everything under test/ not listed in another project
 *   browser  Chromium against the real server (test/e2e, playwright-core)
 *
 * Placing a new test: a file under test/ lands in `app` unless a pattern below claims it, so it
 * always runs in `npm test`. If it needs no database and no app, put it in a folder UNIT already
 * covers or add its path to UNIT; if it uses createTestDatabase but no app, add it to DB.
 * `npx vitest list --project unit --filesOnly` shows what a project runs.
 */
const UNIT = [
  'test/agents/detection/**/*.test.ts',
  'test/agents/episodes/**/*.test.ts',
  'test/agents/diagnosis-agent.test.ts',
  'test/agents/engagement-agent.test.ts',
  'test/simulation/**/*.test.ts',
  'test/simulator/args.test.ts',
  'test/simulator/api-client.test.ts',
  'test/lib/**/*.test.ts',
  'test/auth/**/*.test.ts',
  'test/ingest/reading-ring.test.ts',
  'test/ingest/signal-quality.test.ts',
  'test/ingest/ws-hub.test.ts',
  'test/ingest/messages.test.ts',
  'test/architecture.test.ts',
  'test/config.test.ts',
  'test/cluster/partitions.test.ts',
]
const DB = [
  'test/db/**/*.test.ts',
  'test/agents/chat/**/*.test.ts',
  'test/agents/ueba/**/*.test.ts',
  'test/agents/scheduling-agent.test.ts',
  'test/services/**/*.test.ts',
]
const BROWSER = [
  'test/e2e/dashboards.test.ts',
  'test/e2e/staff-console.test.ts',
  'test/e2e/manufacturing.test.ts',
  'test/e2e/owner.test.ts',
]
const WEB = ['web/**/*.test.{ts,tsx}']

export default defineConfig({
  test: {
    // Shared by every project (`extends: true`). Files keep their `// @vitest-environment` pragmas.
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Each file gets its own database (PGlite in memory, or its own schema on the server), so files
    // may run in parallel; two workers match the 2-core machines we run on.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'web', include: WEB } },
      { extends: true, test: { name: 'db', include: DB } },
      {
        extends: true,
        test: { name: 'app', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...DB, ...BROWSER] },
      },
      // One browser file at a time: each starts a server and Chromium (and may build web/), which two
      // cores cannot run twice over within the hook timeouts.
      { extends: true, test: { name: 'browser', include: BROWSER, fileParallelism: false } },
    ],
  },
})
