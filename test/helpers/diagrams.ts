/**
 * What a test reads back from ditto's diagrams: Mermaid's erDiagram grammar (its lexer's tokens as
 * of mermaid 10/11, the narrowest of them), and the entities and relationships of a Mermaid or
 * DBML diagram.
 */
const NAME = '"[^"%\\\\\\r\\n\\v\\b]+"';
const WORD = '[*A-Za-z_\\u00C0-\\uFFFF][A-Za-z0-9\\-_\\[\\]()\\u00C0-\\uFFFF*]*';
const MERMAID_LINE = [
  /^erDiagram$/,
  /^\s*%%(?!\{).*$/,
  new RegExp(`^\\s*${NAME} \\{$`),
  new RegExp(`^\\s*${WORD} ${WORD}( (PK|FK)(, (PK|FK))*)?( "[^"]*")?$`),
  /^\s*\}$/,
  new RegExp(`^\\s*${NAME} (\\|\\||\\|o|\\}o|\\}\\|)(--|\\.\\.)(\\|\\||o\\||o\\{|\\|\\{) ${NAME} : "[^"]*"$`),
];

/** The lines of a Mermaid diagram that its grammar would not take: none, for a valid one. */
export function invalidMermaidLines(text: string): string[] {
  return text.trimEnd().split('\n').filter((line) => !MERMAID_LINE.some((re) => re.test(line)));
}

/** A Mermaid diagram's entities, and its relationships as `parent -> child: name`. */
export function mermaidParts(text: string): { entities: string[]; relations: string[] } {
  const entities = [...text.matchAll(/^\s+"([^"]+)" \{$/gm)].map((m) => m[1]!).sort();
  const relations = [...text.matchAll(/^\s+"([^"]+)" \S+ "([^"]+)" : "([^"]*)"$/gm)].map((m) => `${m[1]} -> ${m[2]}: ${m[3]}`).sort();
  return { entities, relations };
}

/** A DBML diagram's tables (as written after `Table`), and its refs as `child -> parent: name`. */
export function dbmlParts(text: string): { tables: string[]; refs: string[] } {
  const tables = [...text.matchAll(/^Table (.+) \{$/gm)].map((m) => m[1]!).sort();
  const refs = [...text.matchAll(/^Ref (.+?): (.+) [>-] (.+)$/gm)].map((m) => `${m[2]} -> ${m[3]}: ${m[1]}`).sort();
  return { tables, refs };
}
