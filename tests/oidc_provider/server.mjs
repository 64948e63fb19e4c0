// A real OpenID Connect provider (node-oidc-provider) for the sign-in tests.
//
// Started by tests/oidc_provider/fixture.py on a free port; prints one JSON line with its
// issuer once it listens. Configuration comes from the environment:
//   OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET, OIDC_TEST_REDIRECT_URIS (comma-separated),
//   OIDC_TEST_ACCOUNTS (JSON: {"alice": {"password": "...", "email": "...", "groups": [...]}}).
// Besides the provider's own endpoints it serves:
//   GET  /interaction/:uid        a login form (username + password)
//   POST /interaction/:uid/login  checks the password and finishes the login
//   POST /test/accounts           {"id": "alice", "claims": {...}} adds or replaces an account
//   POST /test/tamper             {"mode": "audience|issuer|nonce|signature|expired"}: the next
//                                 ID token issued is altered that way (once), to prove the
//                                 relying party refuses it
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const clientId = process.env.OIDC_TEST_CLIENT_ID || 'governance';
const clientSecret = process.env.OIDC_TEST_CLIENT_SECRET || 'governance-test-secret';
const redirectUris = (process.env.OIDC_TEST_REDIRECT_URIS || 'http://testserver/oidc/callback/')
  .split(',').map((u) => u.trim()).filter(Boolean);
const accounts = new Map(Object.entries(JSON.parse(process.env.OIDC_TEST_ACCOUNTS || '{}')));

const KID = 'test-signing-key';
const signing = await jose.generateKeyPair('RS256', { extractable: true });
// The provider signs with the private key and publishes only its public half.
const privateJwk = { ...(await jose.exportJWK(signing.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
// Never published: an ID token signed with it (under the published key's id) must be refused.
const rogue = await jose.generateKeyPair('RS256', { extractable: true });

let tamperMode = null;
let provider;

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  });
});

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204).end(); // browsers ask for it on the login form
    return;
  }
  if (req.method === 'POST' && url.pathname === '/test/accounts') {
    const { id, claims } = JSON.parse(await readBody(req));
    accounts.set(id, claims);
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && url.pathname === '/test/tamper') {
    tamperMode = JSON.parse(await readBody(req)).mode || null;
    res.writeHead(204).end();
    return;
  }
  const interaction = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (interaction) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'consent') {
      // A first-party client: what it asks for is granted without a consent screen.
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method === 'POST' && interaction[2]) {
      const form = new URLSearchParams(await readBody(req));
      const account = accounts.get(form.get('username') || '');
      if (!account || account.password !== form.get('password')) {
        res.writeHead(401, { 'content-type': 'text/html' });
        res.end('<p id="error">Wrong username or password.</p>');
        return;
      }
      await provider.interactionFinished(
        req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false },
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>Test provider sign-in</title>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form>`);
    return;
  }
  provider.callback()(req, res);
}

async function tamper(idToken) {
  const mode = tamperMode;
  tamperMode = null;
  const claims = jose.decodeJwt(idToken);
  let key = signing.privateKey;
  if (mode === 'audience') claims.aud = 'some-other-application';
  else if (mode === 'issuer') claims.iss = 'https://impostor.invalid';
  else if (mode === 'nonce') claims.nonce = randomUUID();
  else if (mode === 'expired') { claims.iat -= 7200; claims.exp = claims.iat + 60; }
  else if (mode === 'signature') key = rogue.privateKey;
  else return idToken;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key);
}

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [privateJwk] },
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups'],
    },
    // Groups in the ID token as well as from userinfo, as Entra ID and Okta can be set up.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomUUID()] },
    async findAccount(ctx, sub) {
      if (!accounts.has(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          const { password, ...claims } = accounts.get(sub);
          return { preferred_username: sub, ...claims, sub };
        },
      };
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && tamperMode && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
