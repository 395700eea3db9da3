import http from 'node:http';
import { contractProblem } from './openapi.js';
import type { IdRef, TokenSpec, WireRequest } from './wire-fuzz.js';

/** What came back for one request: a status and body, or no answer (`failure`). */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
  ms: number;
  failure?: 'hang' | 'closed';
  error?: string;
}

export interface SessionOptions {
  /** The run's bearers by name; `admin` and `plain` must be among them. */
  tokens: Record<string, string>;
  admin: string;
  plain: string;
  /** What `$ISSUER` and `$AUDIENCE` stand for in JWT-looking bearers. */
  issuer: string;
  audience: string;
  /** The longest one request may take before it counts as a hang. */
  timeoutMs: number;
  /** How many POSTs (creates, resets) the admin, who has no quota, may have succeed; past it they go out as `plain`. */
  adminWrites: number;
  /** How many DELETEs and resets may name a copy of the run (each frees a quota place for another create). */
  destructiveOnKnown: number;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Sends fuzzed requests to a host, one at a time, and judges each answer: a 2xx, or a 4xx with
 * the error shape; never a 5xx, a hang, a dropped connection or a token in the answer. Keeps the
 * ids of the copies the run made (to aim requests at, and to destroy at the end) and counts.
 */
export class WireSession {
  /** Copies seen during the run (made, or listed to an admin). */
  readonly ids: string[] = [];
  readonly statuses = new Map<number, number>();
  /** Copies made by the run's creates (201 answers). */
  readonly made = new Set<string>();
  sent = 0;
  private adminWrites = 0;
  private destructive = 0;
  private readonly host: string;
  private readonly port: number;

  constructor(
    url: string,
    private readonly opts: SessionOptions,
  ) {
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port);
  }

  /** Sends `req`; the answer and what is wrong with it (null when nothing is). */
  async send(req: WireRequest): Promise<{ answer: Answer; problem: string | null }> {
    const destructive = (req.method === 'DELETE' && req.segments.length === 3) || (req.method === 'POST' && req.segments[3] === 'reset');
    const path = req.prefix + req.segments.map((s) => (typeof s === 'string' ? s : this.id(s, destructive))).join('/') + req.suffix;
    const bearers = (req.auth ?? []).map((a) => `${a.scheme}${this.token(a.token, req)}${a.trailer}`);
    const answer = await this.exchange(req, path, bearers);
    this.sent++;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    const json = parse(answer.text);
    if (answer.status === 201 && typeof json?.id === 'string') this.made.add(json.id);
    for (const c of [json, ...(Array.isArray(json) ? json : [])]) if (typeof c?.id === 'string' && !this.ids.includes(c.id)) this.ids.push(c.id);
    if (req.method === 'POST' && answer.status < 300 && bearers.some((b) => b.includes(this.opts.tokens[this.opts.admin]!))) this.adminWrites++;
    return { answer, problem: this.judge(req, path, answer, json) };
  }

  /** One line of counts for the test's output. */
  summary(seconds: number): string {
    const statuses = [...this.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    return `wire fuzz: ${this.sent} requests in ${seconds.toFixed(1)} s (${Math.round(this.sent / seconds)}/s), ${this.made.size} copies made; statuses ${statuses}`;
  }

  private id(ref: IdRef, destructive: boolean): string {
    if (ref.known === null || this.ids.length === 0) return ref.fake;
    if (destructive) {
      if (this.destructive >= this.opts.destructiveOnKnown) return ref.fake;
      this.destructive++;
    }
    return this.ids[ref.known % this.ids.length]!;
  }

  private token(spec: TokenSpec, req: WireRequest): string {
    if ('literal' in spec) return spec.literal.replaceAll('$ISSUER', this.opts.issuer).replaceAll('$AUDIENCE', this.opts.audience);
    // The admin has no quota: past its budget its writes go out as the plain caller, whose quota bounds them.
    const name = spec.name === this.opts.admin && req.method === 'POST' && this.adminWrites >= this.opts.adminWrites ? this.opts.plain : spec.name;
    const token = this.opts.tokens[name]!;
    if (!spec.mutate) return token;
    const at = spec.mutate.at % token.length;
    switch (spec.mutate.kind) {
      case 'flip':
        return token.slice(0, at) + String.fromCharCode(token.charCodeAt(at) ^ 1) + token.slice(at + 1);
      case 'append':
        return `${token}x`;
      case 'truncate':
        return token.slice(0, at);
      case 'case':
        return token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase();
    }
  }

  private exchange(req: WireRequest, path: string, bearers: string[]): Promise<Answer> {
    const body = req.body === null ? null : Buffer.from(req.body);
    const size = body?.length ?? 0;
    const headers: Record<string, string | string[] | number> = { ...req.headers };
    if (bearers.length) headers.authorization = bearers.length === 1 ? bearers[0]! : bearers;
    if (req.length === 'exact' && body) headers['content-length'] = size;
    if (req.length === 'short' && body) headers['content-length'] = Math.floor(size / 2);
    if (req.length === 'long') headers['content-length'] = size + 10;
    // Said outright: Node.js frames a GET's or a DELETE's body only when told to (unframed, it would be a garbage next request).
    if (req.length === 'chunked' && body) headers['transfer-encoding'] ??= 'chunked';
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (answer: Omit<Answer, 'ms'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        resolve({ ...answer, ms: performance.now() - started });
      };
      const timer = setTimeout(() => done({ status: 0, contentType: '', text: '', failure: 'hang' }), this.opts.timeoutMs);
      const request = http.request({ host: this.host, port: this.port, method: req.method, path, headers, agent: false });
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => done({ status: 0, contentType: '', text: '', failure: 'closed', error: err.message }));
      });
      request.on('error', (err) => done({ status: 0, contentType: '', text: '', failure: 'closed', error: err.message }));
      const sendBody = () => {
        if (body && req.length === 'chunked') request.write(body);
        // A body longer than declared is cut short by the client: it sends what it has and closes its side.
        request.end(req.length === 'chunked' ? undefined : (body ?? undefined), () => {
          if (req.length === 'long') request.socket?.end();
        });
      };
      // As a client that asks to be told to go on: the body after 100 Continue (the host may answer at once instead).
      if (req.headers.expect) {
        request.on('continue', sendBody);
        request.flushHeaders();
      } else sendBody();
    });
  }

  private judge(req: WireRequest, path: string, answer: Answer, json: any): string | null {
    if (answer.failure === 'hang') return `no answer within ${this.opts.timeoutMs} ms`;
    // The client closed its side mid-body, or sent bytes past its body (a malformed next request): the host
    // may answer, or close the connection (as Node.js does on garbage once it has written anything, 100 Continue included).
    if (answer.failure === 'closed' && (req.length === 'long' || req.length === 'short')) return null;
    // A request the host cannot parse is answered with a JSON error, body and all: a HEAD's client does not expect the body.
    if (answer.failure === 'closed' && req.method === 'HEAD' && /Parse Error/.test(answer.error ?? '')) return null;
    if (answer.failure === 'closed') return `the connection closed without an answer (${answer.error})`;
    for (const token of Object.values(this.opts.tokens)) if (answer.text.includes(token)) return 'the answer holds a token';
    const { status } = answer;
    if (status < 200 || (status >= 300 && status < 400) || status >= 500) return `status ${status}: ${answer.text.slice(0, 300)}`;
    // The contract decides the rest: a declared status, and a body of its schema ({error, code, hint?} for an error).
    const broken = contractProblem(req.method, path, status, answer.contentType, answer.text);
    if (broken) return `breaks docs/openapi.json: ${broken}`;
    if (status < 300 || req.method === 'HEAD') return null;
    if (CONTROL.test(json.error) || CONTROL.test(json.hint ?? '')) return `a control character in the error: ${answer.text.slice(0, 300)}`;
    return null;
  }
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
