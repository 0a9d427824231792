// A real OpenID Connect provider (the npm package oidc-provider) for tests.
// Started by the `oidc_provider` pytest fixture; listens on 127.0.0.1 only.
// Its built-in development login page accepts any name with any password;
// the name becomes the account's `sub` and preferred_username.
import Provider from "oidc-provider";

const { OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI } = process.env;
const issuer = `http://127.0.0.1:${OIDC_PORT}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: OIDC_CLIENT_ID,
      client_secret: OIDC_CLIENT_SECRET,
      redirect_uris: [OIDC_REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["preferred_username", "name"],
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: id,
          email: `${id}@provider.example.test`,
          email_verified: true,
        };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ["image-repo-test-provider-cookie-key"] },
});

provider.listen(Number(OIDC_PORT), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
