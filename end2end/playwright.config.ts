import { defineConfig } from '@playwright/test';

// The server is the release binary built by `cargo leptos build --release`, started on a
// fresh SQLite file by scripts/test (which sets these variables).
const port = process.env.HINDCAST_E2E_PORT ?? '3917';
const baseURL = `http://127.0.0.1:${port}`;
const bin = process.env.HINDCAST_BIN ?? '../target/release/hindcast';
// A second server with login required (PROTECTION_LEVEL=ALL) and one admin, for the login
// tests (`auth.spec.ts`); the first has no login, so the other tests need none.
export const authPort = process.env.HINDCAST_E2E_AUTH_PORT ?? String(Number(port) + 1);
export const authAdmin = { name: 'ana', password: 'e2e correct horse battery' };
export const casPort = process.env.HINDCAST_E2E_CAS_PORT ?? String(Number(port) + 13);
export const oidcPort = process.env.HINDCAST_E2E_OIDC_PORT ?? String(Number(port) + 14);

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
  webServer: [
    // A CAS server for the login through an external provider.
    {
      command: 'node cas-standin.mjs',
      url: `http://127.0.0.1:${casPort}/cas/health`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { CAS_PORT: casPort },
    },
    // A real OpenID Connect provider (the certified `oidc-provider` package).
    {
      command: 'node oidc-provider.mjs',
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { OIDC_PORT: oidcPort, OIDC_REDIRECT_URI: `http://127.0.0.1:${authPort}/login/oidc/callback` },
    },
    server(port, `${bin} serve`, {
      DATABASE_URL: process.env.DATABASE_URL ?? 'sqlite://test-results/e2e.db',
      HINDCAST_LOCAL_USER: 'e2e',
      PROTECTION_LEVEL: 'NONE',
    }),
    // The admin is added first (on a database kept from an earlier run it already exists).
    server(authPort, `sh -c 'printf "%s\\n" "$E2E_ADMIN_PASSWORD" | ${bin} user add ${authAdmin.name} --admin --password-stdin; exec ${bin} serve'`, {
      DATABASE_URL: process.env.HINDCAST_E2E_AUTH_DB ?? 'sqlite://test-results/e2e-auth.db',
      PROTECTION_LEVEL: 'ALL',
      SECRET_KEY: 'an end-to-end test key, longer than 32 characters',
      EMBED_FRAME_ANCESTORS: 'http://localhost:4999',
      CAS_SERVER_URL: `http://127.0.0.1:${casPort}/cas`,
      OIDC_ISSUER_URL: `http://127.0.0.1:${oidcPort}`,
      OIDC_CLIENT_ID: 'hindcast-e2e',
      OIDC_CLIENT_SECRET: 'hindcast-e2e-secret',
      E2E_ADMIN_PASSWORD: authAdmin.password,
    }),
  ],
});

/** A Hindcast server on 127.0.0.1:`listen`, started by `command` with `env` added. */
function server(listen: string, command: string, env: Record<string, string>) {
  return {
    command,
    url: `http://127.0.0.1:${listen}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { LEPTOS_SITE_ADDR: `127.0.0.1:${listen}`, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
  };
}
