import { describe, expect, it } from 'vitest';
import { copyFromWire, eventFromWire, issuedFromWire, statusFromWire, testDatabaseFromWire } from '../../sdk/js/src/wire.js';
import { OPENAPI } from '../helpers/openapi.js';

/**
 * The JS SDK's readers of the /v2 answers, checked against docs/openapi.json: every field a reader
 * reads is one the schema has, and given an answer with every field of the schema set, it reads
 * each of its own fields from it (a field read with another type than the schema's reads as absent).
 */

type Schema = { $ref?: string; type?: string | string[]; anyOf?: Schema[]; enum?: unknown[]; const?: unknown; format?: string; properties?: Record<string, Schema>; items?: Schema };

function resolve(schema: Schema): Schema {
  if (schema.$ref) return resolve(OPENAPI.components.schemas[schema.$ref.replace('#/components/schemas/', '')] as Schema);
  // A nullable field: its value when it has one.
  if (schema.anyOf) return resolve(schema.anyOf.find((s) => s.type !== 'null')!);
  return schema;
}

/** An answer with every field set, none to a value a reader would take for absent. */
function sample(schema: Schema, name = 'x'): unknown {
  const s = resolve(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum.at(-1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'string':
      return s.format === 'date-time' ? '2026-01-02T03:04:05.000Z' : `${name}-value`;
    case 'integer':
      return 7;
    case 'number':
      return 7.5;
    case 'boolean':
      return true;
    case 'array':
      return [sample(s.items ?? {}, name)];
    case 'object':
      return s.properties ? Object.fromEntries(Object.entries(s.properties).map(([key, p]) => [key, sample(p, key)])) : { key: 'value' };
    default:
      return `${name}-value`;
  }
}

/** `value` behind proxies that note every field read, nested ones by their dotted path. */
function watched(value: unknown, reads: Set<string>, prefix = ''): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return new Proxy(value as Record<string, unknown>, {
    get(target, key) {
      if (typeof key !== 'string') return Reflect.get(target, key);
      reads.add(prefix + key);
      return watched(target[key], reads, `${prefix}${key}.`);
    },
  });
}

/** Whether `schema` has the field at a dotted path. */
function hasField(schema: Schema, dotted: string): boolean {
  let at: Schema | undefined = resolve(schema);
  for (const key of dotted.split('.')) {
    at = at.properties?.[key];
    if (!at) return false;
    at = resolve(at);
  }
  return true;
}

const component = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const READERS: [string, (w: unknown) => unknown, unknown][] = [
  ['Copy', (w) => copyFromWire(w, 'test'), { id: 'c', status: 'ready' }],
  ['IssuedCopy', (w) => issuedFromWire(w, 'test'), { id: 'c', status: 'ready', connection_string: 'postgresql://x' }],
  ['CopyEvent', (w) => eventFromWire(w), {}],
  ['Status', (w) => statusFromWire(w, 'test'), { version: '1' }],
  ['TestDatabase', (w) => testDatabaseFromWire(w, 'test'), { copy_id: 'c', database: 'd', connection_string: 'postgresql://x' }],
];

describe('the JS SDK against docs/openapi.json', () => {
  it.each(READERS)('reads only fields %s has', (name, read) => {
    const reads = new Set<string>();
    read(watched(sample(component(name)), reads));
    expect(reads.size).toBeGreaterThan(0);
    expect([...reads].filter((field) => !hasField(component(name), field))).toEqual([]);
  });

  it.each(READERS)('reads each of its fields from a full %s, with the type the schema gives it', (name, read, least) => {
    const full = read(sample(component(name))) as Record<string, unknown>;
    const bare = read(least) as Record<string, unknown>;
    const unread = Object.keys(full).filter((field) => full[field] === null || (JSON.stringify(full[field]) === JSON.stringify(bare[field]) && !Object.hasOwn(least as object, snake(field))));
    expect(unread).toEqual([]);
  });

  it('the check sees a field the schema lacks and one read with another type', () => {
    const copy = sample(component('Copy')) as Record<string, unknown>;
    expect(copyFromWire({ ...copy, port: '5433' }, 'test').port).toBeNull();
    expect(hasField(component('Copy'), 'port')).toBe(true);
    expect(hasField(component('Copy'), 'connection_string')).toBe(false);
    expect(hasField(component('Status'), 'port_range.min')).toBe(true);
    expect(hasField(component('Status'), 'port_range.low')).toBe(false);
  });
});

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
