import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';

/**
 * The user's guides (README.md, docs/*.md) stay joined up: every relative link reaches a file and,
 * with a #fragment, a heading of it; and docs/troubleshooting.md has a row for every error code
 * with the exit code and HTTP status src/errors.ts gives it.
 */
const REPO = path.resolve(import.meta.dirname, '../..');
const DOCS = path.join(REPO, 'docs');
const GUIDES = [path.join(REPO, 'README.md'), ...fs.readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => path.join(DOCS, f))];

/** Text outside fenced code blocks, where links and headings are. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = prose(fs.readFileSync(file, 'utf8'));
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Broken relative links of `file`, as `file: target`. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const match of prose(fs.readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    const [where, fragment] = target.split('#') as [string, string | undefined];
    const resolved = where === '' ? file : path.resolve(path.dirname(file), where);
    const name = `${path.relative(REPO, file)}: ${target}`;
    if (!fs.existsSync(resolved)) broken.push(name);
    else if (fragment !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(fragment)) broken.push(name);
  }
  return broken;
}

describe('the guides', () => {
  it('every relative link reaches a file, and a heading of it', () => {
    expect(GUIDES.flatMap(brokenLinks)).toEqual([]);
  });

  it('the link check sees a missing file and a missing heading', () => {
    const file = path.join(DOCS, 'troubleshooting.md');
    expect(anchors(file).has('a-damaged-statedb')).toBe(true);
    expect(anchors(file).has('no-such-heading')).toBe(false);
    expect(fs.existsSync(path.join(DOCS, 'no-such-guide.md'))).toBe(false);
  });

  it('README links every guide in docs/', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const missing = fs.readdirSync(DOCS).filter((f) => f.endsWith('.md') && !readme.includes(`(docs/${f}`));
    expect(missing).toEqual([]);
  });

  it('troubleshooting lists every error code with its exit code and HTTP status', () => {
    const text = fs.readFileSync(path.join(DOCS, 'troubleshooting.md'), 'utf8');
    const missing = Object.entries(ERROR_CODES)
      .filter(([code, { exit, http }]) => !text.includes(`| \`${code}\` | ${exit} | ${http} |`))
      .map(([code]) => code);
    expect(missing).toEqual([]);
  });
});
