import { defineConfig } from '@playwright/test';

// The server is the release binary built by `cargo leptos build --release`, started on a
// fresh SQLite file by scripts/test (which sets these variables).
const port = process.env.HINDCAST_E2E_PORT ?? '3917';
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  retries: 0,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `${process.env.HINDCAST_BIN ?? '../target/release/hindcast'} serve`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: process.env.DATABASE_URL ?? 'sqlite://test-results/e2e.db',
      HINDCAST_LOCAL_USER: 'e2e',
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
    },
  },
});
