import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { artifactPath, collectErrors, launchChromium } from '../helpers/browser.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { TestIssuer, makeKey } from '../helpers/oidc-issuer.js';

/**
 * The dashboard at / of a real `ditto host` (PostgreSQL copies on the local runtime), driven in
 * Debian's Chromium as a person would: sign in with a token, watch copies made through the API
 * arrive without a reload, act on them, and see only what the token may see.
 */
const ALICE = 'alice-dashboard-token-0123';
const BOB = 'bob-dashboard-token-4567';
const ADMIN = 'ops-dashboard-token-89ab';

let home: TestHome;
let host: HostProcess;
let browser: Browser;

beforeAll(async () => {
  home = new TestHome({}, { portCount: 6 });
  home.writeConfig({
    host: {
      tokens: [
        { name: 'alice', token: ALICE },
        { name: 'bob', token: BOB },
      ],
      admin_tokens: [{ name: 'ops', token: ADMIN }],
    },
    // A name the dashboard lists; its URL is never shown (nor resolved until a refresh).
    targets: { staging: { url: 'env:DITTO_TEST_STAGING_URL' } },
  });
  host = await HostProcess.start(home);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (host?.child.exitCode === null) await host.stop();
  if (home) {
    const left = await leftovers(home);
    await home.cleanup();
    expect(left).toEqual([]);
  }
});

async function create(token: string, label: string): Promise<{ id: string; connection_string: string }> {
  const made = await host.api('POST', '/v2/copies', { token, body: { ttl_seconds: 600, label, run_id: 'run-7', job_name: 'e2e' } });
  expect(made.status, made.text).toBe(201);
  return made.json;
}

/** A fresh browser profile's page on the dashboard, signed in with `token` from the keyboard. */
async function signedIn(token: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(host.url);
  await page.locator('#token').waitFor();
  // The form takes the keyboard's focus; Enter signs in.
  expect(await page.evaluate('document.activeElement?.id')).toBe('token');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.locator('#app').waitFor();
  return { context, page, errors };
}

/** Long enough for a few of the page's refreshes (every 2 s). */
const SOON = { timeout: 10_000 };

const row = (page: Page, id: string) => page.locator(`tr[data-copy-id="${id}"]`);

describe('dashboard', () => {
  it('serves the page with a strict CSP, from the bundle alone', async () => {
    const page = await host.api('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    // No inline script or style, nothing from another origin.
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|style=|https?:\/\//);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)![1]!;
    const asset = await host.api('GET', script);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await host.api('GET', '/assets/nothing.js')).status).toBe(404);
  });

  it('refuses a bad token, in the page and on the wire', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(host.url);
    await page.locator('#token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#message').textContent(), SOON).toBe('That token was refused.');
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await context.cookies()).toEqual([]);
    await context.close();

    const wire = await host.api('POST', '/v2/session', { body: { token: 'not-a-token' }, headers: { 'x-ditto-csrf': '1' } });
    expect(wire.status).toBe(401);
    expect(wire.headers.get('set-cookie')).toBeNull();
  });

  it('a caller signs in, sees its copy arrive without a reload, copies its DSN, extends it, reads its events, destroys it', async () => {
    const { context, page, errors } = await signedIn(ALICE);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.url });
    let loads = 0;
    page.on('load', () => loads++);

    // The session is an HttpOnly, Secure, SameSite=Strict cookie that scripts cannot read.
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: '__Host-ditto_session', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.locator('#owner').textContent()).toBe('token:alice');
    expect(await page.locator('#admin').isHidden()).toBe(true);

    const mine = await create(ALICE, 'alice-e2e');
    const bobs = await create(BOB, 'bob-e2e');
    const mineRow = row(page, mine.id);
    await mineRow.waitFor({ timeout: 20_000 });
    await expect.poll(() => mineRow.locator('td[data-label="Status"]').textContent(), SOON).toBe('ready');
    expect(await mineRow.locator('td[data-label="Owner"]').textContent()).toBe('alice');
    expect(await mineRow.locator('td[data-label="Label"]').textContent()).toBe('alice-e2e');
    expect(await mineRow.locator('td[data-label="Run / job"]').textContent()).toBe('run-7 / e2e');
    expect(await mineRow.locator('td[data-label="Engine"]').textContent()).toBe('postgres');
    expect(await mineRow.locator('td[data-label="Runtime"]').textContent()).toBe('local');
    // Bob's copy is not alice's to see, however many refreshes pass.
    await page.waitForTimeout(4500);
    expect(await row(page, bobs.id).count()).toBe(0);
    expect(await page.locator('tbody tr[data-copy-id]').count()).toBe(1);

    await mineRow.getByRole('button', { name: `Copy DSN ${mine.id}` }).click();
    await expect.poll(() => page.locator('#dsn').textContent(), SOON).toBe(mine.connection_string);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(mine.connection_string);

    // Extend from the keyboard: the TTL left grows by an hour.
    await mineRow.getByRole('button', { name: `+1 h ${mine.id}` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#message').textContent(), SOON).toMatch(new RegExp(`^${mine.id} now expires in 1h(\\d\\dm)?\\.$`));
    const extended = await host.api('GET', `/v2/copies/${mine.id}`, { token: ALICE });
    expect(Date.parse(extended.json.expires_at) - Date.now()).toBeGreaterThan(3600_000);

    await mineRow.getByRole('button', { name: `Events ${mine.id}` }).click();
    await expect.poll(() => page.locator('td.events').textContent(), SOON).toMatch(/ready/);

    page.once('dialog', (dialog) => void dialog.accept());
    await mineRow.getByRole('button', { name: `Destroy ${mine.id}` }).click();
    await mineRow.waitFor({ state: 'detached', timeout: 20_000 });
    expect((await host.api('GET', `/v2/copies/${mine.id}`, { token: ALICE })).json.status).toBe('destroyed');

    expect(loads).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
    expect((await host.api('DELETE', `/v2/copies/${bobs.id}`, { token: BOB })).status).toBe(204);
  });

  it('an admin sees every copy and the host, reseeds after a confirmation; the page fits a phone', async () => {
    const bobs = await create(BOB, 'bob-admin-view');
    const { context, page, errors } = await signedIn(ADMIN);
    const bobRow = row(page, bobs.id);
    await bobRow.waitFor({ timeout: 20_000 });
    expect(await bobRow.locator('td[data-label="Owner"]').textContent()).toBe('bob');
    expect(await page.locator('#owner').textContent()).toBe('token:ops (admin)');
    const facts = await page.locator('#facts').textContent();
    expect(facts).toContain('Warm pool');
    expect(facts).toContain('Targets');
    expect(facts).toContain('staging');
    expect(facts).toContain('none since the host started');
    expect(await page.getByRole('button', { name: 'Refresh target staging' }).count()).toBe(1);

    // Cancelled: nothing starts. Confirmed: the reseed runs (this home has no source, so it fails) and the page says so.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Reseed now' }).click();
    await page.waitForTimeout(2500);
    expect(await page.locator('#facts').textContent()).toContain('none since the host started');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Reseed now' }).click();
    await expect.poll(() => page.locator('#facts').textContent(), { timeout: 20_000 }).toMatch(/Last reseedfailed \d+s ago/);

    await page.screenshot({ path: artifactPath('dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.screenshot({ path: artifactPath('dashboard-phone.png'), fullPage: true });
    expect(errors).toEqual([]);

    // Signing out forgets the cookie; the page asks for a token again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    expect(await context.cookies()).toEqual([]);
    await context.close();
    expect((await host.api('DELETE', `/v2/copies/${bobs.id}`, { token: BOB })).status).toBe(204);
  });

  it('the cookie speaks for its caller only on same-site requests that carry the CSRF header; a bearer needs neither', async () => {
    const signIn = await host.api('POST', '/v2/session', { body: { token: BOB }, headers: { 'x-ditto-csrf': '1' } });
    expect(signIn.status).toBe(200);
    expect(signIn.json).toEqual({ owner: 'token:bob', admin: false });
    const setCookie = signIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^__Host-ditto_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0]!;

    // Sign-in itself is CSRF-checked: no header, or another site's Origin, is refused.
    expect((await host.api('POST', '/v2/session', { body: { token: BOB } })).status).toBe(403);
    expect((await host.api('POST', '/v2/session', { body: { token: BOB }, headers: { 'x-ditto-csrf': '1', origin: 'https://evil.example' } })).status).toBe(403);

    // Reads with the cookie alone; a change needs the header and no cross-site marks.
    expect((await host.api('GET', '/v2/copies', { headers: { cookie } })).status).toBe(200);
    expect((await host.api('GET', '/v2/session', { headers: { cookie } })).json).toEqual({ owner: 'token:bob', admin: false });
    expect((await host.api('GET', '/v2/session')).json).toEqual({ owner: null, admin: false });
    const refused = await host.api('POST', '/v2/copies', { headers: { cookie }, body: {} });
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatch(/cross-site request refused/);
    expect((await host.api('POST', '/v2/copies', { headers: { cookie, 'x-ditto-csrf': '1', 'sec-fetch-site': 'cross-site' }, body: {} })).status).toBe(403);
    const made = await host.api('POST', '/v2/copies', { headers: { cookie, 'x-ditto-csrf': '1', 'sec-fetch-site': 'same-origin', origin: host.url }, body: { ttl_seconds: 300 } });
    expect(made.status, made.text).toBe(201);
    expect(made.json.owner).toBe('token:bob');
    // A bearer wins over a cookie and is never CSRF-checked.
    expect((await host.api('DELETE', `/v2/copies/${made.json.id}`, { token: BOB, headers: { cookie: '__Host-ditto_session=nonsense' } })).status).toBe(204);
    // A cookie holding a refused token is refused as that bearer would be.
    expect((await host.api('GET', '/v2/copies', { headers: { cookie: '__Host-ditto_session=nonsense' } })).status).toBe(401);
    // Only admins reseed; the connection string is the owner's.
    expect((await host.api('POST', '/v2/reseed', { token: BOB })).status).toBe(403);
    const dsn = await host.api('GET', `/v2/copies/${made.json.id}/connection`, { token: BOB });
    expect(dsn.status).toBe(409);
    const out = await host.api('DELETE', '/v2/session', { headers: { cookie, 'x-ditto-csrf': '1' } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-ditto_session=; Max-Age=0;/);
  });
});

describe('dashboard with host.oidc', () => {
  const issuer = new TestIssuer('ditto-dashboard-test', 'unused');
  let oidcHome: TestHome;
  let oidcHost: HostProcess;

  beforeAll(async () => {
    await issuer.start();
    issuer.keys = [await makeKey('k1')];
    oidcHome = new TestHome({}, { portCount: 2 });
    oidcHome.writeConfig({ host: { oidc: { issuer: issuer.issuer, audience: 'ditto-dashboard-test', jwks_url: `${issuer.url}/jwks`, owner_claim: 'sub', admin_claim: 'role', admin_value: 'ops' } } });
    oidcHost = await HostProcess.start(oidcHome);
  });

  afterAll(async () => {
    if (oidcHost?.child.exitCode === null) await oidcHost.stop();
    await oidcHome?.cleanup();
    await issuer.stop();
  });

  it('signs in with an OIDC token as with a static one; an expired one is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(oidcHost.url);
    await page.locator('#token').fill(await issuer.mint({ sub: 'carol', role: 'ops' }, { key: issuer.keys[0]! }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#app').waitFor();
    expect(await page.locator('#owner').textContent()).toBe(`oidc:${issuer.issuer}#carol (admin)`);
    // The admin's part shows once the host's status has come.
    await page.locator('#admin').waitFor({ state: 'visible', timeout: 10_000 });
    expect(errors).toEqual([]);
    await context.close();

    const expired = await issuer.mint({ sub: 'carol' }, { key: issuer.keys[0]!, expiresIn: -600 });
    expect((await oidcHost.api('POST', '/v2/session', { body: { token: expired }, headers: { 'x-ditto-csrf': '1' } })).status).toBe(401);
  });
});
