import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/api/contract.js';
import { openApiText } from '../../src/api/openapi.js';
import { targetRefreshWire } from '../../src/api/targets.js';
import { copyJson, copyWire, eventWire, issuedWire, testDatabaseWire } from '../../src/api/wire.js';
import type { CopyInfo, IssuedCopy } from '../../src/model/copy-client.js';
import { matchRoute, ROUTES } from '../../src/server/routes.js';
import { REPO } from '../helpers/ditto.js';
import { contractProblem, OPENAPI } from '../helpers/openapi.js';

/**
 * docs/openapi.json is generated from the host's route table (src/api/contract.ts): the committed
 * file must be what the generator prints now, name every route the host dispatches, and describe
 * what the wire mappers write.
 */

const COPY: CopyInfo = {
  id: 'c0ffee00',
  status: 'ready',
  warm: false,
  runtime: 'docker',
  engine: 'postgres',
  host: '127.0.0.1',
  port: 5433,
  label: 'ci',
  name: 'pr-7',
  owner: 'token:alice',
  runId: 'run-1',
  jobName: 'test',
  ttlSeconds: 900,
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  readyAt: Date.UTC(2026, 0, 2, 3, 4, 6),
  expiresAt: Date.UTC(2026, 0, 2, 3, 19, 6),
  destroyedAt: null,
  errorMessage: null,
  diskBytes: 4096,
};
const ISSUED: IssuedCopy = { ...COPY, connectionString: 'postgresql://ditto:secret@127.0.0.1:5433/app', notices: ['no dump'] };

/** What a route answers, checked as the integration tests check it. */
const answer = (method: string, target: string, status: number, body: unknown) => contractProblem(method, target, status, 'application/json; charset=utf-8', JSON.stringify(body));

describe('the OpenAPI document', () => {
  it('docs/openapi.json is what `npm run docs:openapi` writes now', () => {
    const printed = execFileSync(process.execPath, ['scripts/openapi.mjs', '--stdout'], { cwd: REPO, encoding: 'utf8' });
    const committed = fs.readFileSync(path.join(REPO, 'docs', 'openapi.json'), 'utf8');
    expect(committed === printed, 'docs/openapi.json differs from the route table: run `npm run docs:openapi` and commit it').toBe(true);
    expect(openApiText()).toBe(printed);
  });

  it('is OpenAPI 3.1 with every route the host dispatches, and no other', () => {
    expect(OPENAPI).toMatchObject({ openapi: '3.1.0', info: { title: 'ditto host' } });
    const documented = Object.entries(OPENAPI.paths).flatMap(([template, ops]) => Object.values(ops).map((op) => `${op.operationId} ${template}`));
    const dispatched = ROUTES.map((route) => `${route.name} ${OPERATIONS[route.name].path}`);
    expect(documented.sort()).toEqual(dispatched.sort());
    expect(documented).toContain('create_copy /v2/copies');
    expect(documented).toContain('openapi /v2/openapi.json');
  });

  it('the host dispatches each declared path and method to its route, parameters decoded', () => {
    for (const [name, op] of Object.entries(OPERATIONS)) {
      const target = op.path.replace('{id}', 'c0ffee').replace(/\{[^}]+\}/g, 'x%20y');
      const { route, params } = matchRoute(op.method, target);
      expect(route.name).toBe(name);
      expect(params).toEqual([...op.path.matchAll(/\{([^}]+)\}/g)].map(([, p]) => (p === 'id' ? 'c0ffee' : 'x y')));
    }
  });

  it('describes what the wire mappers write', () => {
    expect(answer('GET', '/v2/copies', 200, [copyWire(COPY, 'db.example'), copyWire({ ...COPY, status: 'failed', port: null, diskBytes: null, errorMessage: 'boom' }, 'h')])).toBeNull();
    expect(answer('GET', '/v2/copies/c0ffee00', 200, copyWire(COPY, 'db.example'))).toBeNull();
    expect(answer('POST', '/v2/copies', 201, issuedWire(ISSUED, 'db.example', Date.now()))).toBeNull();
    expect(answer('POST', '/v2/copies/c0ffee00/reset', 200, issuedWire(ISSUED, 'db.example', Date.now()))).toBeNull();
    expect(answer('GET', '/v2/copies/c0ffee00/events', 200, [eventWire({ copyId: 'c', action: 'created', actor: 'host', metadata: { ttl: 900 }, createdAt: 0 })])).toBeNull();
    expect(answer('POST', '/v2/copies/c0ffee00/databases', 201, testDatabaseWire({ copyId: 'c', database: 'test_1', connectionString: 'postgresql://x' }))).toBeNull();
    const refresh = { target: 'staging', url: 'postgresql://staging', dump: 'd.dump', dryRun: true, plan: ['drop'], obfuscated: null, durationMs: 12 };
    expect(answer('POST', '/v2/targets/staging/refresh', 200, targetRefreshWire(refresh))).toBeNull();
  });

  it('refuses what the contract does not say: an undeclared field, a wrong type, an undeclared status, a bad error', () => {
    expect(answer('GET', '/v2/copies/c0ffee00', 200, { ...copyWire(COPY, 'h'), surprise: 1 })).toMatch(/additional/);
    expect(answer('GET', '/v2/copies/c0ffee00', 200, { ...copyWire(COPY, 'h'), port: '5433' })).toMatch(/port/);
    expect(answer('GET', '/v2/copies/c0ffee00', 200, copyJson({ ...ISSUED }))).toMatch(/additional/);
    expect(answer('GET', '/v2/status', 404, { error: 'x', code: 'NOT_FOUND' })).toMatch(/does not declare status 404/);
    expect(answer('DELETE', '/v2/copies/c0ffee00', 404, { error: 'no such copy', code: 'NOT_FOUND' })).toBeNull();
    expect(answer('DELETE', '/v2/copies/c0ffee00', 404, { error: 'no such copy', code: 'GONE' })).toMatch(/code/);
    expect(answer('GET', '/v2/nothing', 404, { error: 'no such route', code: 'NOT_FOUND', hint: 'h' })).toBeNull();
    expect(answer('GET', '/v2/nothing', 200, {})).toMatch(/no route takes/);
    expect(contractProblem('DELETE', '/v2/copies/c0ffee00', 204, '', '')).toBeNull();
    expect(contractProblem('GET', '/metrics', 200, 'text/plain; version=0.0.4; charset=utf-8', '# HELP')).toBeNull();
    expect(contractProblem('GET', '/metrics', 200, 'application/json', '{}')).toMatch(/not text\/plain/);
  });
});
