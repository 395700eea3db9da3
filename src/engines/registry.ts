import type { Config } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { DittoError } from '../errors.js';
import type { EngineName } from '../model/copy.js';
import { readHead } from './dump-files.js';
import type { Engine } from './engine.js';
import { MysqlEngine } from './mysql/engine.js';
import { PostgresEngine } from './postgres/engine.js';

/** Every engine ditto has: a new engine is a folder beside postgres/ and one line here. */
const ENGINES: Record<EngineName, () => Engine> = {
  postgres: () => new PostgresEngine(),
  mysql: () => new MysqlEngine(),
};

/** Engines by name, each made once; and which one new copies use. */
export class Engines {
  private readonly made = new Map<EngineName, Engine>();

  /** `makers` replaces the registry (unit tests hand in fakes). */
  constructor(private readonly makers: Partial<Record<EngineName, () => Engine>> = ENGINES) {}

  get(name: EngineName): Engine {
    let engine = this.made.get(name);
    if (!engine) {
      const make = this.makers[name];
      if (!make) throw new DittoError('CONFIG', `unknown engine '${String(name)}'`, { hint: `engine: one of ${Object.keys(this.makers).join(', ')}` });
      this.made.set(name, (engine = make()));
    }
    return engine;
  }

  /** The engine of new copies: `engine` in config, else the one whose scheme source.url has, else the one whose dump dump.path is, else PostgreSQL. */
  current(config: Config): Engine {
    return this.get(config.engine ?? inferEngine(config, this) ?? 'postgres');
  }

  /** The engine whose connection strings have `url`'s scheme, if any. */
  forUrl(url: string): Engine | null {
    const scheme = schemeOf(url);
    return (scheme && this.all().find((e) => e.schemes.includes(scheme))) || null;
  }

  all(): Engine[] {
    return (Object.keys(this.makers) as EngineName[]).map((name) => this.get(name));
  }
}

function inferEngine(config: Config, engines: Engines): EngineName | null {
  const source = sourceUrl(config);
  const bySource = source ? engines.forUrl(source) : null;
  if (bySource) return bySource.name;
  if (config.dump.path) {
    let head: Buffer;
    try {
      head = readHead(config.dump.path);
    } catch {
      return null; // no dump yet: the error belongs to whoever reads it
    }
    return engines.all().find((e) => e.claimsDump(head))?.name ?? null;
  }
  return null;
}

function sourceUrl(config: Config): string | null {
  const ref = config.source.url;
  if (!ref) return null;
  try {
    return resolveSecret(ref, 'source.url');
  } catch {
    return null; // a secret reference that cannot be resolved now says nothing about the engine
  }
}

function schemeOf(url: string): string | null {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase() ?? null;
}
