// Built by scripts/build-action.mjs from actions/ditto/src and sdk/js/src: do not edit.

// sdk/js/src/index.ts
import process5 from "node:process";

// sdk/js/src/errors.ts
var CODES = {
  BAD_INPUT: [2, 400],
  TOO_LARGE: [2, 413],
  CONFIG: [78, 500],
  UNAUTHORIZED: [77, 401],
  FORBIDDEN: [77, 403],
  NOT_FOUND: [4, 404],
  CONFLICT: [5, 409],
  NO_CAPACITY: [75, 503],
  QUOTA: [75, 429],
  NO_SPACE: [75, 507],
  RUNTIME_UNAVAILABLE: [69, 503],
  DUMP_INVALID: [65, 400],
  PROVISION_FAILED: [70, 500],
  STATE: [74, 500],
  REMOTE: [69, 502],
  COMMAND_NOT_FOUND: [127, 400],
  SQL_ERROR: [1, 422],
  INTERRUPTED: [130, 499],
  INTERNAL: [70, 500]
};
var CODE_NAMES = Object.keys(CODES);
var DittoError = class extends Error {
  code;
  status;
  hint;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "DittoError";
    this.code = code;
    this.status = options.status ?? CODES[code][0];
    this.hint = options.hint;
  }
  /** The line the CLI would print: the message, then the hint. */
  toLine() {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
};
function isErrorCode(value) {
  return typeof value === "string" && Object.hasOwn(CODES, value);
}
function codeForExit(exit) {
  return CODE_NAMES.find((code) => CODES[code][0] === exit) ?? "INTERNAL";
}
function codeForStatus(status) {
  if (status === 500) return "INTERNAL";
  return CODE_NAMES.find((code) => CODES[code][1] === status) ?? "REMOTE";
}

// sdk/js/src/local.ts
import process3 from "node:process";

// sdk/js/src/request.ts
import process2 from "node:process";
var UNITS = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };
function ttlSeconds(ttl) {
  const match = typeof ttl === "number" ? null : /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(ttl);
  const seconds = typeof ttl === "number" ? ttl : match ? Number(match[1]) * UNITS[match[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new DittoError("BAD_INPUT", `bad TTL '${String(ttl)}'`, { hint: "use a positive whole number of seconds, or one with a unit: 90s, 15m, 2h, 1d" });
  }
  return seconds;
}
var SERVICES = [
  { marker: "GITHUB_ACTIONS", run: "GITHUB_RUN_ID", job: "GITHUB_JOB" },
  { marker: "GITLAB_CI", run: "CI_PIPELINE_ID", job: "CI_JOB_NAME" },
  { marker: "CIRCLECI", run: "CIRCLE_WORKFLOW_ID", job: "CIRCLE_JOB" },
  { marker: "BUILDKITE", run: "BUILDKITE_BUILD_ID", job: "BUILDKITE_LABEL" },
  { marker: "JENKINS_URL", run: "BUILD_TAG", job: "JOB_NAME" },
  { marker: "TRAVIS", run: "TRAVIS_BUILD_ID", job: "TRAVIS_JOB_NAME" }
];
function ciRun() {
  const env = process2.env;
  const service = SERVICES.find((s) => env[s.marker]);
  const pick = (own, theirs) => env[own] || (theirs ? env[theirs] : void 0) || void 0;
  return { runId: pick("DITTO_RUN_ID", service?.run), jobName: pick("DITTO_JOB_NAME", service?.job) };
}
function upRequest(options) {
  for (const [name, value] of Object.entries({ label: options.label, name: options.name, dump: options.dump, runId: options.runId, jobName: options.jobName })) {
    if (value !== void 0 && (typeof value !== "string" || value === "" || /[\r\n]/.test(value))) {
      throw new DittoError("BAD_INPUT", `${name} must be a non-empty string on one line`);
    }
  }
  const ci = ciRun();
  return {
    ttlSeconds: options.ttl === void 0 ? void 0 : ttlSeconds(options.ttl),
    label: options.label,
    name: options.name,
    dump: options.dump,
    runId: options.runId ?? ci.runId,
    jobName: options.jobName ?? ci.jobName,
    obfuscate: options.obfuscate === true
  };
}
function copyId(id) {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id)) throw new DittoError("BAD_INPUT", `'${String(id)}' is not a copy id`, { hint: "give the id `up` returned" });
  return id;
}

// sdk/js/src/wire.ts
var text = (v) => typeof v === "string" ? v : null;
var num = (v) => typeof v === "number" ? v : null;
var obj = (v) => typeof v === "object" && v !== null && !Array.isArray(v) ? v : null;
function testDatabaseFromWire(w, source) {
  const r = typeof w === "object" && w !== null ? w : {};
  if (typeof r.database !== "string" || typeof r.connection_string !== "string" || typeof r.copy_id !== "string") {
    throw new DittoError("REMOTE", `${source} answered without a database and its connection string`);
  }
  return { copyId: r.copy_id, database: r.database, connectionString: r.connection_string };
}
function copyFromWire(value, source) {
  const w = obj(value);
  const id = text(w?.id);
  const status = text(w?.status);
  if (!w || !id || !status) throw new DittoError("REMOTE", `${source} answered with a copy that has no id or status`);
  return {
    id,
    status,
    warm: w.warm === true,
    runtime: text(w.runtime) ?? "local",
    host: text(w.host) ?? "",
    port: num(w.port),
    label: text(w.label),
    name: text(w.name),
    runId: text(w.run_id),
    jobName: text(w.job_name),
    ttlSeconds: num(w.ttl_seconds) ?? 0,
    createdAt: text(w.created_at),
    readyAt: text(w.ready_at),
    expiresAt: text(w.expires_at),
    destroyedAt: text(w.destroyed_at),
    errorMessage: text(w.error_message),
    diskBytes: num(w.disk_bytes)
  };
}
function issuedFromWire(value, source, notices = []) {
  const copy = copyFromWire(value, source);
  const connectionString = text(value.connection_string);
  if (!connectionString) throw new DittoError("REMOTE", `${source} answered without a connection string`);
  const sent = value.notices;
  return { ...copy, connectionString, notices: Array.isArray(sent) ? sent.map(String) : notices };
}
function listFromWire(value, source, what, read) {
  if (!Array.isArray(value)) throw new DittoError("REMOTE", `${source} answered with something other than a list of ${what}`);
  return value.map(read);
}
function eventFromWire(value) {
  const w = obj(value) ?? {};
  return { action: String(w.action), actor: String(w.actor), metadata: obj(w.metadata) ?? {}, createdAt: text(w.created_at) };
}
function statusFromWire(value, source) {
  const w = obj(value);
  if (!w || typeof w.version !== "string") throw new DittoError("REMOTE", `${source} answered GET /v2/status without a version`);
  const range = obj(w.port_range);
  const runtime = obj(w.runtime);
  const dump = obj(w.dump);
  return {
    version: w.version,
    activeCopies: num(w.active_copies) ?? 0,
    provisioningCopies: num(w.provisioning_copies) ?? 0,
    warmCopies: num(w.warm_copies) ?? 0,
    poolTarget: num(w.pool_target),
    portPoolFree: num(w.port_pool_free) ?? 0,
    portRange: range ? { min: num(range.min) ?? 0, max: num(range.max) ?? 0 } : null,
    advertiseHost: text(w.advertise_host),
    runtime: runtime ? { name: String(runtime.name), reason: String(runtime.reason), detail: String(runtime.detail) } : null,
    dump: dump ? { path: text(dump.path), ageSeconds: num(dump.age_seconds), stale: dump.stale === true, staleThresholdSeconds: num(dump.stale_threshold_seconds) ?? 0 } : null
  };
}
function statusFromCli(value) {
  const r = value;
  if (typeof r?.version !== "string" || !r.pool || !r.ports || !r.copies) throw new DittoError("INTERNAL", "`ditto status --json` printed something the SDK does not know");
  return {
    version: r.version,
    activeCopies: r.copies.active,
    provisioningCopies: r.copies.provisioning,
    warmCopies: r.pool.ready,
    poolTarget: r.pool.target,
    portPoolFree: r.ports.free,
    portRange: { min: r.ports.min, max: r.ports.max },
    advertiseHost: null,
    runtime: r.runtime ?? null,
    dump: r.dump ?? null
  };
}

// sdk/js/src/local.ts
var LocalClient = class {
  constructor(options = {}) {
    this.options = options;
    this.bin = options.bin || process3.env.DITTO_BIN || "ditto";
  }
  options;
  mode = "local";
  bin;
  async up(options = {}) {
    const request = upRequest(options);
    const args = ["up", "--json"];
    if (request.ttlSeconds !== void 0) args.push("--ttl", String(request.ttlSeconds));
    if (request.label !== void 0) args.push("--label", request.label);
    if (request.name !== void 0) args.push(`--name=${request.name}`);
    if (request.dump !== void 0) args.push("--dump", request.dump);
    if (request.obfuscate) args.push("--obfuscate");
    const env = { DITTO_RUN_ID: request.runId, DITTO_JOB_NAME: request.jobName };
    const { stdout, stderr } = await this.run(args, { env, signal: options.signal });
    const notices = stderr.split("\n").flatMap((line) => line.startsWith("hint: ") ? [line.slice("hint: ".length)] : []);
    return issuedFromWire(this.json(stdout, args), this.source, notices);
  }
  async down(id) {
    await this.run(["down", copyId(id)]);
  }
  async downNamed(name) {
    const { stdout } = await this.run(["down", `--name=${name}`]);
    return stdout.trim() !== "";
  }
  async list(options = {}) {
    const args = ["ls", "--json", ...options.all ? ["--all"] : []];
    return listFromWire(this.json((await this.run(args)).stdout, args), this.source, "copies", (c) => copyFromWire(c, this.source));
  }
  async events(id) {
    const args = ["logs", "--json", copyId(id)];
    return listFromWire(this.json((await this.run(args)).stdout, args), this.source, "events", eventFromWire);
  }
  async status() {
    const args = ["status", "--json"];
    return statusFromCli(this.json((await this.run(args)).stdout, args));
  }
  async createDatabase(id) {
    const args = ["db", "new", copyId(id), "--json"];
    return testDatabaseFromWire(this.json((await this.run(args)).stdout, args), this.source);
  }
  async dropDatabase(id, database) {
    await this.run(["db", "drop", copyId(id), database]);
  }
  async reset(id) {
    const args = ["reset", copyId(id), "--json"];
    return issuedFromWire(this.json((await this.run(args)).stdout, args), this.source);
  }
  async extend(id, ttlSeconds2) {
    const args = ["extend", copyId(id), "--ttl", String(ttlSeconds2), "--json"];
    return copyFromWire(this.json((await this.run(args)).stdout, args), this.source);
  }
  get source() {
    return `\`${this.bin}\``;
  }
  json(stdout, args) {
    try {
      return JSON.parse(stdout);
    } catch {
      throw new DittoError("INTERNAL", `\`${this.bin} ${args[0]}\` printed something other than JSON`, { hint: "check that DITTO_BIN names the ditto executable" });
    }
  }
  async run(args, opts = {}) {
    const { execFile } = await import("node:child_process");
    const env = {};
    for (const [name, value] of Object.entries({ ...process3.env, ...this.options.env, ...opts.env })) if (value !== void 0) env[name] = value;
    delete env.DITTO_SERVER;
    return new Promise((resolve, reject) => {
      execFile(this.bin, args, { env, maxBuffer: 64 * 1024 * 1024, encoding: "utf8", ...opts.signal ? { signal: opts.signal } : {} }, (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        reject(this.failure(err, stderr, opts.signal));
      });
    });
  }
  /** The executable's failure as a DittoError: its exit code and its `ditto: message; hint` line. */
  failure(err, stderr, signal) {
    if (err.code === "ENOENT" || err.code === "EACCES") {
      return new DittoError("COMMAND_NOT_FOUND", `cannot run the ditto executable '${this.bin}' (${err.code})`, {
        hint: "install ditto, or set DITTO_BIN to its path (or a ditto server with DITTO_SERVER)"
      });
    }
    if (signal?.aborted) return new DittoError("INTERRUPTED", "interrupted; ditto removes a copy it was making");
    const line = stderr.split("\n").reverse().find((l) => l.startsWith("ditto: "));
    const exit = typeof err.code === "number" ? err.code : 70;
    if (!line) {
      const why = typeof err.signal === "string" ? `was killed by ${err.signal}` : `exited ${exit} without saying why`;
      return new DittoError(codeForExit(exit), `\`${this.bin}\` ${why}`, { status: exit });
    }
    const text2 = line.slice("ditto: ".length);
    const split = text2.indexOf("; ");
    return split < 0 ? new DittoError(codeForExit(exit), text2, { status: exit }) : new DittoError(codeForExit(exit), text2.slice(0, split), { status: exit, hint: text2.slice(split + 2) });
  }
};

// sdk/js/src/remote.ts
import process4 from "node:process";

// sdk/js/src/actions-token.ts
var REQUEST_TIMEOUT_MS = 3e4;
async function requestActionsToken(requestUrl, requestToken, audience) {
  const separator = !requestUrl.includes("?") ? "?" : /[?&]$/.test(requestUrl) ? "" : "&";
  let url;
  try {
    url = new URL(`${requestUrl}${separator}audience=${encodeURIComponent(audience)}`);
  } catch {
    throw new DittoError("UNAUTHORIZED", "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL", { hint: "give a token, or run in a GitHub Actions job with `permissions: id-token: write`" });
  }
  const fail = (code, why, status) => new DittoError(code, `cannot get an OIDC token from the GitHub Actions token service at ${url.host}: ${why}`, {
    ...status === void 0 ? {} : { status },
    hint: "check that the job has `permissions: id-token: write`, or give a token"
  });
  let response;
  try {
    response = await fetch(url, { headers: { authorization: `bearer ${requestToken}`, accept: "application/json" }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw fail("REMOTE", err.name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS / 1e3}s` : reason(err).replaceAll(url.href, url.host));
  }
  const text2 = await response.text().catch(() => "");
  if (!response.ok) throw fail(response.status === 401 || response.status === 403 ? "UNAUTHORIZED" : "REMOTE", `it answered ${response.status}`, response.status);
  let value;
  try {
    value = JSON.parse(text2)?.value;
  } catch {
    throw fail("REMOTE", "its answer is not JSON");
  }
  if (typeof value !== "string" || value === "") throw fail("REMOTE", 'its answer holds no token ("value")');
  return value;
}
function expiryOf(jwt) {
  try {
    const payload = (jwt.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "="))).exp;
    return typeof exp === "number" ? exp * 1e3 : Infinity;
  } catch {
    return Infinity;
  }
}
function reason(err) {
  const cause = err.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}

// sdk/js/src/remote.ts
var CREATE_TIMEOUT_MS = 10 * 6e4;
var REQUEST_TIMEOUT_MS2 = 6e4;
var REMOTE_DUMP = /^(https?|s3):\/\//i;
var REFRESH_MARGIN_MS = 6e4;
var RemoteClient = class {
  constructor(server, options = {}) {
    this.options = options;
    let url = null;
    try {
      url = new URL(server);
    } catch {
    }
    if (!url || url.protocol !== "http:" && url.protocol !== "https:") {
      throw new DittoError("BAD_INPUT", `the ditto server '${server}' is not an http(s):// URL`, { hint: "give the host as http://HOST:PORT (server option or DITTO_SERVER)" });
    }
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    url.username = url.password = "";
    this.base = url;
  }
  options;
  mode = "remote";
  base;
  held = null;
  /** The host's URL, as given. */
  get url() {
    return this.base.href.replace(/\/$/, "");
  }
  async up(options = {}) {
    const r = upRequest(options);
    if (r.dump !== void 0 && !REMOTE_DUMP.test(r.dump)) {
      throw new DittoError("BAD_INPUT", `the dump ${r.dump} is a local file, which the host at ${this.url} cannot read`, { hint: "give an http(s):// or s3:// URL the host can fetch" });
    }
    const body = { ttl_seconds: r.ttlSeconds, label: r.label, name: r.name, run_id: r.runId, job_name: r.jobName, dump_uri: r.dump, ...r.obfuscate ? { obfuscate: true } : {} };
    const answer = await this.call("POST", "v2/copies", { body, signal: options.signal, timeoutMs: this.options.timeoutMs ?? CREATE_TIMEOUT_MS });
    return issuedFromWire(answer, this.source);
  }
  async down(id) {
    await this.call("DELETE", `v2/copies/${copyId(id)}`);
  }
  async downNamed(name) {
    const named = listFromWire(await this.call("GET", `v2/copies?${new URLSearchParams({ name })}`), this.source, "copies", (c) => copyFromWire(c, this.source));
    for (const copy of named) await this.call("DELETE", `v2/copies/${copyId(copy.id)}`);
    return named.length > 0;
  }
  async list(options = {}) {
    const answer = await this.call("GET", options.all ? "v2/copies?all=true" : "v2/copies");
    return listFromWire(answer, this.source, "copies", (c) => copyFromWire(c, this.source));
  }
  async events(id) {
    return listFromWire(await this.call("GET", `v2/copies/${copyId(id)}/events`), this.source, "events", eventFromWire);
  }
  async status() {
    return statusFromWire(await this.call("GET", "v2/status"), this.source);
  }
  async createDatabase(id) {
    return testDatabaseFromWire(await this.call("POST", `v2/copies/${copyId(id)}/databases`), this.source);
  }
  async dropDatabase(id, database) {
    await this.call("DELETE", `v2/copies/${copyId(id)}/databases/${encodeURIComponent(database)}`);
  }
  async reset(id) {
    return issuedFromWire(await this.call("POST", `v2/copies/${copyId(id)}/reset`, { timeoutMs: this.options.timeoutMs ?? CREATE_TIMEOUT_MS }), this.source);
  }
  async extend(id, ttlSeconds2) {
    return copyFromWire(await this.call("PATCH", `v2/copies/${copyId(id)}`, { body: { ttl_seconds: ttlSeconds2 } }), this.source);
  }
  /** The host's OIDC settings (GET /v2/oidc, no token needed); null when it takes no OIDC tokens. */
  async oidc() {
    try {
      const answer = await this.call("GET", "v2/oidc", { anonymous: true });
      return typeof answer?.issuer === "string" && typeof answer.audience === "string" ? { issuer: answer.issuer, audience: answer.audience } : null;
    } catch (err) {
      if (err instanceof DittoError && err.code === "NOT_FOUND") return null;
      throw err;
    }
  }
  get source() {
    return `the host at ${this.url}`;
  }
  /** The bearer: the token given, DITTO_TOKEN, or a GitHub Actions ID token (asked again only near its expiry). */
  async bearer() {
    const given = this.options.token ?? process4.env.DITTO_TOKEN;
    if (typeof given === "function") return given();
    if (given) return given;
    const requestUrl = process4.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const requestToken = process4.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!requestUrl || !requestToken) {
      throw new DittoError("UNAUTHORIZED", `no token for the host at ${this.url}`, {
        hint: "set DITTO_TOKEN (or the token option); in GitHub Actions, a job with `permissions: id-token: write` uses an OIDC token instead"
      });
    }
    if (this.held && this.held.expiresAt - Date.now() > REFRESH_MARGIN_MS) return this.held.token;
    const audience = this.options.oidcAudience || process4.env.DITTO_OIDC_AUDIENCE || (await this.oidc())?.audience;
    if (!audience) {
      throw new DittoError("UNAUTHORIZED", `no token for the host at ${this.url}, which takes no OIDC tokens`, { hint: "set DITTO_TOKEN, or ask the operator to set host.oidc" });
    }
    const token = await requestActionsToken(requestUrl, requestToken, audience);
    this.held = { token, expiresAt: expiryOf(token) };
    return token;
  }
  /** One request: the parsed JSON answer (null for 204), or the host's error as a DittoError. */
  async call(method, path, opts = {}) {
    const headers = { accept: "application/json" };
    if (!opts.anonymous) headers.authorization = `Bearer ${await this.bearer()}`;
    if (opts.body !== void 0) headers["content-type"] = "application/json";
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? REQUEST_TIMEOUT_MS2;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let response;
    let text2;
    try {
      response = await fetch(new URL(path, this.base), { method, headers, signal, ...opts.body !== void 0 ? { body: JSON.stringify(opts.body) } : {} });
      text2 = await response.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new DittoError("INTERRUPTED", "interrupted; the host removes a copy it was making for this request");
      if (timeout.aborted) throw new DittoError("REMOTE", `the host at ${this.url} did not answer within ${Math.round(timeoutMs / 1e3)}s`);
      throw new DittoError("REMOTE", `cannot reach the ditto host at ${this.url}: ${reason(err)}`, { hint: "check the server option or DITTO_SERVER, and that `ditto host` runs there", cause: err });
    }
    if (!response.ok) throw failure(response.status, text2);
    if (response.status === 204 || text2 === "") return null;
    try {
      return JSON.parse(text2);
    } catch {
      throw new DittoError("REMOTE", `the host at ${this.url} answered ${method} /${path} with something other than JSON`, { status: response.status, hint: "check that the server names a ditto host" });
    }
  }
};
function failure(status, text2) {
  let body = {};
  try {
    body = JSON.parse(text2) ?? {};
  } catch {
  }
  const code = isErrorCode(body.code) ? body.code : codeForStatus(status);
  const message = typeof body.error === "string" && body.error ? body.error.split("\n")[0] : `the host answered ${status}`;
  return new DittoError(code, message, { status, ...typeof body.hint === "string" ? { hint: body.hint } : {} });
}

// sdk/js/src/index.ts
function createClient(options = {}) {
  const server = (options.server ?? process5.env.DITTO_SERVER ?? "").trim();
  return server ? new RemoteClient(server, options) : new LocalClient(options);
}

// actions/ditto/src/runner.ts
import { EOL } from "node:os";
import process6 from "node:process";
function input(name) {
  return (process6.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}
function state(name) {
  return process6.env[`STATE_${name}`] ?? "";
}
function escape(value) {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function command(name, value) {
  process6.stdout.write(`::${name}::${escape(value)}${EOL}`);
}
function info(line) {
  process6.stdout.write(line + EOL);
}
function error(message) {
  command("error", message);
}
function mask(secret) {
  if (secret) command("add-mask", secret);
}

// actions/ditto/src/settings.ts
var COPY_STATE = "copy_id";
var NAMED_STATE = "copy_name";
function clientFromInputs() {
  const token = input("token");
  mask(token);
  return createClient({ server: input("server") || void 0, token: token || void 0 });
}
async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    error(`ditto ${name}: ${err instanceof DittoError ? err.toLine() : err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

// actions/ditto/src/post.ts
await step("down", async () => {
  const named = state(NAMED_STATE);
  if (named) return info(`ditto: copy ${named.split(" ")[0]} named ${named.split(" ")[1]} is kept for the next run`);
  const id = state(COPY_STATE);
  if (!id) return info("ditto: no copy to destroy (the main step made none)");
  try {
    await clientFromInputs().down(id);
    info(`ditto: destroyed copy ${id}`);
  } catch (err) {
    if (!(err instanceof DittoError && err.code === "NOT_FOUND")) throw err;
    info(`ditto: copy ${id} is already gone`);
  }
});
