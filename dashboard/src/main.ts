import { ApiError, call, type Copy, type CopyEvent, type Session, type Status } from './api.js';
import { CopiesTable } from './copies.js';
import { bytes, duration, since } from './format.js';

/** How often the page asks the host again; sizes (a walk of each copy's files on the host) less often. */
const REFRESH_MS = 2000;
const SIZES_MS = 30_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  signIn: $<HTMLElement>('sign-in'),
  form: $<HTMLFormElement>('sign-in-form'),
  token: $<HTMLInputElement>('token'),
  app: $<HTMLElement>('app'),
  who: $<HTMLElement>('who'),
  owner: $<HTMLElement>('owner'),
  signOut: $<HTMLButtonElement>('sign-out'),
  message: $<HTMLElement>('message'),
  version: $<HTMLElement>('version'),
  facts: $<HTMLDListElement>('facts'),
  admin: $<HTMLElement>('admin'),
  reseed: $<HTMLButtonElement>('reseed'),
  targets: $<HTMLUListElement>('targets'),
  count: $<HTMLElement>('copy-count'),
  none: $<HTMLElement>('no-copies'),
  dsn: $<HTMLOutputElement>('dsn'),
};

let session: Session | null = null;
let timer: number | undefined;
let sizes = new Map<string, number | null>();
let sizesAt = 0;

/** The message line; `refreshFailed` marks a line the next successful refresh takes back. */
function say(text: string, kind: 'info' | 'error' = 'info', refreshFailed = false): void {
  ui.message.textContent = text;
  ui.message.dataset.kind = kind;
  ui.message.dataset.refreshFailed = String(refreshFailed);
}

/** Runs an action; its error (or success line) goes to the message line, a lost session back to sign-in. */
async function act(run: () => Promise<string | void>): Promise<void> {
  try {
    const done = await run();
    if (done) say(done);
    await refresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn('Your session ended: sign in again.');
    say((err as Error).message, 'error');
  }
}

const table = new CopiesTable($<HTMLTableRowElement>('copies-head'), $<HTMLTableSectionElement>('copies-body'), {
  dsn: (copy) =>
    void act(async () => {
      const { connection_string: dsn } = await call<{ connection_string: string }>('GET', `/v2/copies/${encodeURIComponent(copy.id)}/connection`);
      ui.dsn.textContent = dsn;
      ui.dsn.hidden = false;
      try {
        await navigator.clipboard.writeText(dsn);
        return `Connection string of ${copy.id} copied.`;
      } catch {
        // No clipboard (permission, an insecure context): the DSN is shown to select instead.
        return `Connection string of ${copy.id} shown below: select it to copy.`;
      }
    }),
  extend: (copy) =>
    void act(async () => {
      const left = copy.expires_at === null ? 0 : Math.max(0, -(since(copy.expires_at, Date.now()) ?? 0));
      const updated = await call<Copy>('PATCH', `/v2/copies/${encodeURIComponent(copy.id)}`, { ttl_seconds: Math.round(left) + 3600 });
      return `${copy.id} now expires in ${duration(-(since(updated.expires_at, Date.now()) ?? 0))}.`;
    }),
  reset: (copy) =>
    void act(async () => {
      if (!confirm(`Reset ${copy.id}? Its data goes back to the snapshot it was made from.`)) return;
      say(`Resetting ${copy.id}…`);
      await call('POST', `/v2/copies/${encodeURIComponent(copy.id)}/reset`);
      return `${copy.id} was reset.`;
    }),
  destroy: (copy) =>
    void act(async () => {
      if (!confirm(`Destroy ${copy.id}? Its data is gone for good.`)) return;
      await call('DELETE', `/v2/copies/${encodeURIComponent(copy.id)}`);
      return `${copy.id} destroyed.`;
    }),
  events: (id) => call<CopyEvent[]>('GET', `/v2/copies/${encodeURIComponent(id)}/events`),
});

/** A term and its value, grouped (a div in a dl) so the grid lays out pairs. */
function fact(term: string, value: string, warn = false): HTMLElement {
  const group = document.createElement('div');
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  if (warn) dd.className = 'warn';
  group.append(dt, dd);
  return group;
}

function showStatus(s: Status): void {
  ui.version.textContent = s.version;
  const dump = s.dump;
  const reseed = s.reseed;
  const now = Date.now();
  ui.facts.replaceChildren(
    fact('Copies in use', String(s.active_copies)),
    fact('Warm pool', `${s.warm_copies} ready of ${s.pool_target ?? '?'}${s.provisioning_copies ? `, ${s.provisioning_copies} being made` : ''}`),
    fact('Ports free', String(s.port_pool_free)),
    fact('Runtime', s.runtime ? `${s.runtime.name} (${s.runtime.reason})` : '–'),
    fact('Golden snapshot', s.golden ? `${s.golden.key} (${bytes(s.golden.bytes)})` : 'none yet'),
    fact('Dump', !dump || dump.age_seconds === null ? 'none: copies are empty databases' : `${duration(dump.age_seconds)} old${dump.stale ? ' (stale)' : ''}`, dump?.stale === true),
    fact(
      'Last reseed',
      reseed?.running ? 'running now' : reseed?.last ? `${reseed.last.result === 'ok' ? 'done' : 'failed'} ${duration(since(reseed.last.at, now) ?? 0)} ago` : 'none since the host started',
      reseed?.last?.result === 'failed',
    ),
    fact('Next reseed', reseed?.next_at ? `in ${duration(-(since(reseed.next_at, now) ?? 0))}` : 'not scheduled'),
    fact('Targets', s.targets?.length ? s.targets.join(', ') : 'none'),
  );
  ui.admin.hidden = !session?.admin;
  if (!session?.admin) return;
  ui.reseed.disabled = reseed?.running === true;
  const names = s.targets ?? [];
  const shown = [...ui.targets.querySelectorAll('li')].map((li) => li.dataset.target);
  if (shown.join('\n') === names.join('\n')) return;
  ui.targets.replaceChildren(
    ...names.map((name) => {
      const li = document.createElement('li');
      li.dataset.target = name;
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `Refresh target ${name}`;
      button.addEventListener('click', () =>
        void act(async () => {
          if (!confirm(`Refresh target ${name}? Everything in it is replaced with the host's dump.`)) return;
          say(`Refreshing ${name}…`);
          const result = await call<{ duration_ms: number }>('POST', `/v2/targets/${encodeURIComponent(name)}/refresh`, {});
          return `Target ${name} refreshed in ${duration(result.duration_ms / 1000)}.`;
        }),
      );
      li.append(button);
      return li;
    }),
  );
}

async function refresh(): Promise<void> {
  if (!session) return;
  window.clearTimeout(timer);
  try {
    const measure = Date.now() - sizesAt > SIZES_MS;
    const [copies, status] = await Promise.all([call<Copy[]>('GET', `/v2/copies${measure ? '?disk_bytes=true' : ''}`), call<Status>('GET', '/v2/status')]);
    if (measure) {
      sizes = new Map(copies.map((c) => [c.id, c.disk_bytes]));
      sizesAt = Date.now();
    }
    const listed = copies.map((c) => ({ ...c, disk_bytes: c.disk_bytes ?? sizes.get(c.id) ?? null }));
    table.update(listed, Date.now());
    ui.count.textContent = `(${listed.length})`;
    ui.none.hidden = listed.length > 0;
    showStatus(status);
    if (ui.message.dataset.refreshFailed === 'true') say('');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn('Your session ended: sign in again.');
    say(`The host did not answer: ${(err as Error).message}`, 'error', true);
  } finally {
    if (session) timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
}

function showSignIn(text = ''): void {
  session = null;
  window.clearTimeout(timer);
  ui.app.hidden = true;
  ui.who.hidden = true;
  ui.signIn.hidden = false;
  say(text, text ? 'error' : 'info');
  ui.token.focus();
}

function showApp(s: Session): void {
  session = s;
  ui.signIn.hidden = true;
  ui.app.hidden = false;
  ui.who.hidden = false;
  ui.owner.textContent = `${s.owner}${s.admin ? ' (admin)' : ''}`;
  sizesAt = 0;
  void refresh();
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    try {
      const s = await call<Session>('POST', '/v2/session', { token: ui.token.value });
      ui.token.value = '';
      say('');
      showApp(s);
    } catch (err) {
      say(err instanceof ApiError && err.status === 401 ? 'That token was refused.' : (err as Error).message, 'error');
    }
  })();
});

ui.signOut.addEventListener('click', () => {
  void call('DELETE', '/v2/session').finally(() => showSignIn());
});

ui.reseed.addEventListener('click', () =>
  void act(async () => {
    if (!confirm("Reseed now? A fresh dump of the source replaces the host's current one.")) return;
    await call('POST', '/v2/reseed');
    return 'Reseed started.';
  }),
);

// A session cookie from before: the page opens on the copies, else on the sign-in form.
call<Session | { owner: null }>('GET', '/v2/session').then(
  (s) => (s.owner === null ? showSignIn() : showApp(s as Session)),
  () => showSignIn(),
);
