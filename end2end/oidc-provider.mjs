// A real OpenID Connect provider for the end-to-end tests: the certified `oidc-provider`
// package on loopback, with its development login (any name, any password) and consent
// pages, signing ID tokens with its own RS256 key. One confidential client: Hindcast.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 3931);
const redirect = process.env.OIDC_REDIRECT_URI;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'hindcast-e2e',
    client_secret: 'hindcast-e2e-secret',
    redirect_uris: [redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'] },
  async findAccount(_, id) {
    return { accountId: id, async claims() { return { sub: id, preferred_username: id, name: id }; } };
  },
});
provider.listen(port, '127.0.0.1');
