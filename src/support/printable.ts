import { DittoError } from '../errors.js';

/**
 * What can move a terminal's cursor, colour it, end a line or reorder it: C0 controls, DEL, C1
 * controls (U+009B is CSI on its own), the line and paragraph separators, and the bidi controls
 * that make text read otherwise than it is stored.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** Those JSON.stringify leaves raw in strings (it escapes C0 itself; outside strings C0 is layout). */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** Refuses a value a caller names (a label, a run id, a token's name) that holds any such character: BAD_INPUT naming `field`. */
export function checkPrintable(field: string, value: string | null | undefined): void {
  if (value === null || value === undefined) return;
  const found = value.match(UNPRINTABLE);
  if (found) {
    throw new DittoError('BAD_INPUT', `${field} holds a control character (${escapeChar(found[0])})`, { hint: `give ${field} as plain printable text` });
  }
}

/** Whether `value` holds none of them. */
export function isPrintable(value: string): boolean {
  return !new RegExp(UNPRINTABLE.source).test(value);
}

/** `text` with each such character written as an escape (`\e`, `\n`, `\u202e`), safe to print on a terminal. */
export function terminalSafe(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** JSON text with the characters JSON.stringify leaves raw (C1, separators, bidi) escaped as \uXXXX: the same value, safe on a terminal. */
export function terminalSafeJson(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}
