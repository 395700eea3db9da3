import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A key the test signs with: its private half, and its public JWK as a JWKS would list it. */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export async function makeKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface MintOptions {
  key: TestKey;
  /** The header's kid (default: the key's own). */
  kid?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; null leaves the claim out. */
  expiresIn?: number | null;
  notBeforeIn?: number;
}

/** The JSON of a JWT segment. */
export const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An OIDC issuer on 127.0.0.1: /.well-known/openid-configuration (answering 500 while `brokenDiscovery`),
 * the keys at /jwks (what `keys` holds at the time of the request), and GitHub's Actions ID-token
 * request endpoint at /actions/idtoken (the request token `requestToken`, `?audience=` becomes `aud`).
 * Every request is counted by path.
 */
export class TestIssuer {
  keys: TestKey[] = [];
  brokenDiscovery = false;
  /** The claims an Actions token carries beyond iss, aud, iat, exp. */
  actionsClaims: JWTPayload = {};
  actionsAnswer: ((res: http.ServerResponse) => void) | null = null;
  readonly requests: { path: string; audience: string | null; authorization: string | undefined }[] = [];
  private server!: http.Server;
  url = '';

  constructor(
    readonly audience: string,
    readonly requestToken: string,
  ) {}

  get issuer(): string {
    return this.url;
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  async mint(claims: JWTPayload, opts: MintOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: opts.key.alg, kid: opts.kid ?? opts.key.kid, typ: 'JWT' })
      .setIssuer(opts.issuer ?? this.issuer)
      .setAudience(opts.audience ?? this.audience)
      .setIssuedAt(now);
    if (opts.expiresIn !== null) jwt.setExpirationTime(now + (opts.expiresIn ?? 300));
    if (opts.notBeforeIn !== undefined) jwt.setNotBefore(now + opts.notBeforeIn);
    return jwt.sign(opts.key.privateKey);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ path: url.pathname, audience: url.searchParams.get('audience'), authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        if (this.brokenDiscovery) return void json(500, { error: 'down' });
        return void json(200, { issuer: this.issuer, jwks_uri: `${this.url}/discovered/jwks`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] });
      case '/jwks':
      case '/discovered/jwks':
        return void json(200, { keys: this.keys.map((k) => k.jwk) });
      case '/actions/idtoken': {
        if (this.actionsAnswer) return this.actionsAnswer(res);
        if (req.headers.authorization !== `bearer ${this.requestToken}`) return void json(403, { message: 'bad request token' });
        const audience = url.searchParams.get('audience');
        if (!audience) return void json(400, { message: 'no audience' });
        return void json(200, { count: 1, value: await this.mint(this.actionsClaims, { key: this.keys[0]!, audience }) });
      }
      default:
        return void json(404, { error: 'not found' });
    }
  }
}
