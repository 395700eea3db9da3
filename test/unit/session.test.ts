import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkCsrf, credentialOf, keepsSecureCookie, needsCsrfCheck, sessionCookie, sessionToken, SESSION_COOKIE } from '../../src/server/session.js';

/** The parts of a request the session's rules read. */
function request(method: string, headers: Record<string, string>, socket: { encrypted?: boolean; localAddress?: string } = { localAddress: '127.0.0.1' }): IncomingMessage {
  return { method, headers: { host: '127.0.0.1:7433', ...headers }, socket } as unknown as IncomingMessage;
}

const cookieOf = (token: string) => sessionCookie(token).split(';')[0]!;

describe('the dashboard session', () => {
  it('reads its token back from the cookie it set, among other cookies, whatever the token holds', () => {
    for (const token of ['plain-token', 'with;semi=colon and space', 'eyJhbGciOiJSUzI1NiJ9.e30.sig']) {
      expect(sessionToken(request('GET', { cookie: `a=1; ${cookieOf(token)}; b=2` }))).toBe(token);
    }
    expect(sessionToken(request('GET', { cookie: 'other=1' }))).toBeUndefined();
    expect(sessionToken(request('GET', { cookie: `${SESSION_COOKIE}=%E0%A4%A` }))).toBeUndefined();
  });

  it('a bearer wins over the cookie; the cookie alone is a bearer marked as the cookie', () => {
    const cookie = cookieOf('t1');
    expect(credentialOf(request('GET', { authorization: 'Bearer t2', cookie }))).toEqual({ authorization: 'Bearer t2', viaCookie: false });
    expect(credentialOf(request('GET', { cookie }))).toEqual({ authorization: 'Bearer t1', viaCookie: true });
    expect(credentialOf(request('GET', {}))).toEqual({ authorization: undefined, viaCookie: false });
  });

  it('checks CSRF only on changes a cookie (or the sign-in form) speaks for', () => {
    expect(needsCsrfCheck(request('GET', {}), true, false)).toBe(false);
    expect(needsCsrfCheck(request('DELETE', {}), true, false)).toBe(true);
    expect(needsCsrfCheck(request('POST', {}), false, false)).toBe(false);
    expect(needsCsrfCheck(request('POST', {}), false, true)).toBe(true);
  });

  it('takes a same-origin request with the header; refuses one without it, cross-site, or from another origin', () => {
    const ok = { 'x-ditto-csrf': '1' };
    expect(() => checkCsrf(request('POST', ok))).not.toThrow();
    expect(() => checkCsrf(request('POST', { ...ok, 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:7433' }))).not.toThrow();
    expect(() => checkCsrf(request('POST', {}))).toThrow(/x-ditto-csrf header is missing/);
    expect(() => checkCsrf(request('POST', { ...ok, 'sec-fetch-site': 'same-site' }))).toThrow(/Sec-Fetch-Site is same-site/);
    expect(() => checkCsrf(request('POST', { ...ok, origin: 'http://127.0.0.1:7434' }))).toThrow(/another site/);
    expect(() => checkCsrf(request('POST', { ...ok, origin: 'null' }))).toThrow(/opaque/);
  });

  it('sets the cookie HttpOnly, Secure, SameSite=Strict; a browser keeps it over TLS or on loopback only', () => {
    expect(sessionCookie('x')).toMatch(/^__Host-ditto_session=x; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(keepsSecureCookie(request('GET', {}, { localAddress: '127.0.0.1' }))).toBe(true);
    expect(keepsSecureCookie(request('GET', {}, { localAddress: '::ffff:127.0.0.2' }))).toBe(true);
    expect(keepsSecureCookie(request('GET', {}, { localAddress: '::1' }))).toBe(true);
    expect(keepsSecureCookie(request('GET', {}, { localAddress: '10.1.2.3' }))).toBe(false);
    expect(keepsSecureCookie(request('GET', {}, { localAddress: '10.1.2.3', encrypted: true }))).toBe(true);
  });
});
