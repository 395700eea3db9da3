import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO } from './ditto.js';

/**
 * Every answer a test receives from a host, checked against the committed contract
 * (docs/openapi.json): the route must declare the status, and a JSON body must match the
 * status's schema (errors included). HostProcess.api and the wire fuzzer call it on every answer.
 */

interface OpenApiOperation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

export const OPENAPI = JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

// ajv-formats is CommonJS: its function is the default export's default under Node's ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document as one schema, so `#/components/schemas/...` resolves inside it.
ajv.addSchema(OPENAPI, 'openapi');

const TEMPLATES = Object.keys(OPENAPI.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

const validators = new Map<string, ValidateFunction>();

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

/** A validator of the schema at `ref` (a JSON pointer into the document), compiled once. */
function validator(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: `openapi#/${ref}` });
    validators.set(ref, validate);
  }
  return validate;
}

function pathOf(target: string): string | null {
  try {
    return new URL(target.startsWith('/') ? `http://host${target}` : target).pathname;
  } catch {
    return null;
  }
}

function checkJson(ref: string, text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `the body is not JSON: ${JSON.stringify(text.slice(0, 200))}`;
  }
  const validate = validator(ref);
  if (validate(body)) return null;
  return `${ajv.errorsText(validate.errors, { dataVar: 'body' })}: ${text.slice(0, 300)}`;
}

/**
 * What is wrong with an answer by the contract, or null. `target` is the request's target as
 * sent (a path, or an absolute URL); a request no route takes must get an error.
 */
export function contractProblem(method: string, target: string, status: number, contentType: string, text: string): string | null {
  const pathname = pathOf(target);
  const template = pathname === null ? undefined : TEMPLATES.find((t) => t.pattern.test(pathname))?.template;
  const operation = template === undefined ? undefined : OPENAPI.paths[template]![method.toLowerCase()];
  if (!template || !operation) {
    // No route takes it: an unknown path, a method the path does not serve, or a request the host cannot parse.
    if (![400, 404, 405, 413].includes(status)) return `${status} to a request no route takes`;
    return method === 'HEAD' ? null : checkJson(pointer('components', 'schemas', 'Error'), text);
  }
  const answer = operation.responses[String(status)];
  if (!answer) return `${operation.operationId} does not declare status ${status}: ${text.slice(0, 300)}`;
  if (!answer.content) return text === '' ? null : `a ${status} of ${operation.operationId} with a body`;
  const media = Object.keys(answer.content).find((type) => contentType.split(';')[0]!.trim() === type.split(';')[0]!.trim());
  if (!media) return `${operation.operationId} answered ${status} as ${contentType}, not ${Object.keys(answer.content).join(' or ')}`;
  if (media !== 'application/json' || method === 'HEAD') return null;
  return checkJson(pointer('paths', template, method.toLowerCase(), 'responses', String(status), 'content', media, 'schema'), text);
}

/** Throws when an answer breaks the contract. */
export function checkContract(method: string, target: string, status: number, contentType: string, text: string): void {
  const problem = contractProblem(method, target, status, contentType, text);
  if (problem) throw new Error(`${method} ${target} -> ${status} breaks docs/openapi.json: ${problem}`);
}
