import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { VERSION } from '../version.js';
import { errorsOf, OPERATIONS, type Answer, type Operation } from './contract.js';
import { errorWireSchema } from './wire-schemas.js';

/**
 * The OpenAPI 3.1 document of the host's routes, made from the route table (./contract.ts) and
 * its zod schemas: served at GET /v2/openapi.json and committed as docs/openapi.json
 * (`npm run docs:openapi`; a unit test fails when the file is stale).
 */

type Json = Record<string, unknown>;

/** Turns zod schemas into JSON Schema, each named schema (`.meta({id})`) moved to the document's components. */
class Components {
  readonly schemas: Record<string, Json> = {};

  schema(schema: z.ZodType, io: 'input' | 'output'): Json {
    const { $defs, $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw' }) as Json & { $defs?: Record<string, Json> };
    for (const [id, def] of Object.entries($defs ?? {})) {
      const named = relink(def) as Json;
      if (this.schemas[id] && !isDeepStrictEqual(this.schemas[id], named)) throw new Error(`two schemas are named ${id}`);
      this.schemas[id] = named;
    }
    return relink(rest) as Json;
  }
}

/** `#/$defs/X` references as `#/components/schemas/X`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : relink(v)]),
  );
}

function content(answer: Exclude<Answer, null>, components: Components): Json {
  if (answer instanceof z.ZodType) return { 'application/json': { schema: components.schema(answer, 'output') } };
  return Object.fromEntries([answer.contentType].flat().map((type) => [type, { schema: { type: 'string', description: answer.description } }]));
}

function operation(name: string, op: Operation, components: Components): Json {
  const parameters = [
    ...[...op.path.matchAll(/\{([^}]+)\}/g)].map(([, param]) => ({ name: param, in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(op.query ?? {}).map(([param, description]) => ({ name: param, in: 'query', required: false, description, schema: { type: 'string' } })),
  ];
  const responses: Json = {};
  for (const [status, answer] of Object.entries(op.answers)) {
    responses[status] = { description: answer === null ? 'done; no body' : 'success', ...(answer === null ? {} : { content: content(answer, components) }) };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(op)) byStatus.set(ERROR_CODES[code].http, [...(byStatus.get(ERROR_CODES[code].http) ?? []), code]);
  const error = components.schema(errorWireSchema, 'output');
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = { description: codes.join(', '), content: { 'application/json': { schema: error } } };
  }
  return {
    operationId: name,
    summary: op.summary,
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: false, content: { 'application/json': { schema: components.schema(op.body.schema, 'input') } } } } : {}),
    responses,
  };
}

function makeDocument(): Json {
  const components = new Components();
  const paths: Record<string, Json> = {};
  for (const [name, op] of Object.entries(OPERATIONS as Record<string, Operation>)) {
    paths[op.path] = { ...paths[op.path], [op.method.toLowerCase()]: operation(name, op, components) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ditto host',
      version: VERSION,
      description:
        'The /v2 API of `ditto host`: ephemeral copies of a database for a team. Every route but the public ones takes `Authorization: Bearer <token>` (a static token or an OIDC JWT); a caller sees only its own copies, an admin all. Errors are JSON `{error, code, hint?}`.',
    },
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from host.tokens or host.admin_tokens, or an OIDC JWT (host.oidc)' } },
    },
    security: [{ bearer: [] }],
  };
}

let made: Json | undefined;

/** The document (made once: the table does not change while the host runs). */
export function openApiDocument(): { openapi: '3.1.0'; paths: Record<string, unknown> } {
  made ??= makeDocument();
  return made as { openapi: '3.1.0'; paths: Record<string, unknown> };
}

/** The document as docs/openapi.json holds it. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
