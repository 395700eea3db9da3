import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueServerCert, makeCa, type KeyPair } from '../../src/support/certificates.js';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';

/** host.tls: the API over HTTPS, trusted by the CLI through DITTO_CA_FILE, its certificate replaced on SIGHUP. */
const TOKEN = 'https-token-0123456789';

let home: TestHome;
let host: HostProcess;
let ca: KeyPair;
let caFile: string;
let certFiles: { cert: string; key: string };

function writeCert(pair: KeyPair): void {
  fs.writeFileSync(certFiles.cert, pair.cert);
  fs.writeFileSync(certFiles.key, pair.key, { mode: 0o600 });
}

/** The fingerprint of the certificate the host presents to a new connection. */
function presented(url: string, trusted: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca: trusted, servername: undefined }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

function fingerprint(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256;
}

beforeAll(async () => {
  home = new TestHome({}, { portCount: 4 });
  ca = await makeCa('test API CA');
  caFile = path.join(home.dir, 'api-ca.pem');
  fs.writeFileSync(caFile, ca.cert);
  certFiles = { cert: path.join(home.dir, 'api.crt'), key: path.join(home.dir, 'api.key') };
  writeCert(await issueServerCert(ca, ['127.0.0.1']));
  home.writeConfig({ host: { tokens: [{ name: 'team', token: TOKEN }], tls: certFiles } });
  host = await HostProcess.start(home);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  const left = await leftovers(home);
  await home.cleanup();
  expect(left).toEqual([]);
});

describe('host.tls', () => {
  it('the host listens on https://', () => {
    expect(host.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('the CLI in remote mode works with DITTO_CA_FILE: up, ls, down', async () => {
    const env = { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN, DITTO_CA_FILE: caFile };
    const up = await home.run(['up', '--json'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    const copy = JSON.parse(up.stdout) as { id: string; connection_string: string };
    expect(copy.connection_string).toMatch(/^postgresql:\/\//);
    const ls = await home.run(['ls', '--json'], { env });
    expect((JSON.parse(ls.stdout) as { id: string }[]).map((c) => c.id)).toEqual([copy.id]);
    const down = await home.run(['down', copy.id], { env });
    expect(down.exitCode, down.stderr).toBe(0);
  });

  it('without DITTO_CA_FILE the host’s certificate is not trusted: one clear line, nothing made', async () => {
    const before = (await home.ls(true)).length;
    const result = await home.run(['up'], { env: { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN } });
    expectOneLineError(result, 69, /the ditto host at https:\/\/127\.0\.0\.1:\d+ presented a certificate this machine does not trust \(\w+\); set DITTO_CA_FILE/);
    expect(await home.ls(true)).toHaveLength(before);
  });

  it('a DITTO_CA_FILE that cannot be read is named in one line', async () => {
    const result = await home.run(['ls'], { env: { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN, DITTO_CA_FILE: '/nonexistent/ca.pem' } });
    expectOneLineError(result, 78, /DITTO_CA_FILE \/nonexistent\/ca\.pem cannot be read: ENOENT/);
  });

  it('SIGHUP presents the renewed certificate to new connections; a broken file keeps the previous one', async () => {
    const before = await presented(host.url, ca.cert);
    expect(before).toBe(fingerprint(fs.readFileSync(certFiles.cert, 'utf8')));
    const renewed = await issueServerCert(ca, ['127.0.0.1']);
    writeCert(renewed);
    host.child.kill('SIGHUP');
    await waitForLog(host, /host.tls reloaded/);
    expect(await presented(host.url, ca.cert)).toBe(fingerprint(renewed.cert));

    fs.writeFileSync(certFiles.key, 'not a key\n');
    host.child.kill('SIGHUP');
    await waitForLog(host, /host.tls not reloaded: the previous certificate stays/);
    expect(await presented(host.url, ca.cert)).toBe(fingerprint(renewed.cert));
    expect(host.child.exitCode).toBeNull();
  });
});

describe('ditto doctor --remote', () => {
  it('checks the host answers, the token is taken, and what it reports; each failure says why', async () => {
    const env = { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN, DITTO_CA_FILE: caFile };
    const ok = await home.run(['doctor'], { env });
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^✓ host +https:\/\/127\.0\.0\.1:\d+ answers$/m);
    expect(ok.stdout).toMatch(/^✓ token +accepted by the host$/m);
    expect(ok.stdout).toMatch(/^✓ version +ditto \d+\.\d+\.\d+ on the host$/m);
    expect(ok.stdout).toMatch(/^✓ capacity +0 of your copies active, \d+ warm, \d+ ports free$/m);

    const badToken = await home.run(['doctor', '--json'], { env: { ...env, DITTO_TOKEN: 'not-the-token' } });
    expect(badToken.exitCode).toBe(1);
    const report = JSON.parse(badToken.stdout) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([['host', 'ok'], ['token', 'fail']]);
    expect(report.checks[1]!.detail).toMatch(/invalid token/);
    expect(badToken.stdout).not.toContain('not-the-token');

    const untrusted = await home.run(['doctor'], { env: { ...env, DITTO_CA_FILE: '' } });
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stdout).toMatch(/^✗ host +the ditto host at https:\/\/127\.0\.0\.1:\d+ presented a certificate this machine does not trust/m);
  });
});

async function waitForLog(h: HostProcess, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!h.logLines.some((line) => pattern.test(line))) {
    if (Date.now() > deadline) throw new Error(`no log line ${pattern} in:\n${h.logLines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
