import type { Copy, CopyEvent } from './api.js';
import { bytes, duration, ownerName, since } from './format.js';

/** What a row's buttons do; main.ts supplies it. */
export interface CopyActions {
  dsn(copy: Copy): void;
  extend(copy: Copy): void;
  reset(copy: Copy): void;
  destroy(copy: Copy): void;
  events(copyId: string): Promise<CopyEvent[]>;
}

interface Column {
  title: string;
  value(copy: Copy, now: number): string;
  /** Shown only when some copy has the field (named copies). */
  optional?: (copy: Copy) => boolean;
}

const COLUMNS: Column[] = [
  { title: 'Copy', value: (c) => c.id },
  { title: 'Owner', value: (c) => (c.warm ? 'pool' : ownerName(c.owner)) },
  { title: 'Status', value: (c) => (c.status === 'ready' && c.warm ? 'warm' : c.status) },
  { title: 'Name', value: (c) => c.name ?? '–', optional: (c) => 'name' in c },
  { title: 'Label', value: (c) => c.label ?? '–' },
  { title: 'Age', value: (c, now) => duration(since(c.created_at, now) ?? 0) },
  { title: 'TTL left', value: (c, now) => (c.expires_at === null ? '–' : duration(-(since(c.expires_at, now) ?? 0))) },
  { title: 'Run / job', value: (c) => [c.run_id, c.job_name].filter((v) => v).join(' / ') || '–' },
  { title: 'Size', value: (c) => bytes(c.disk_bytes) },
  { title: 'Runtime', value: (c) => c.runtime },
  { title: 'Engine', value: (c) => c.engine ?? '–' },
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

interface Row {
  copy: Copy;
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  buttons: HTMLButtonElement[];
  events: HTMLTableRowElement | null;
}

/**
 * The copies table, kept in place across refreshes: rows are matched by copy id and only their
 * text changes, so a button keeps the keyboard's focus while the list refreshes around it.
 */
export class CopiesTable {
  private readonly rows = new Map<string, Row>();
  private columns: Column[] = [];

  constructor(
    private readonly head: HTMLTableRowElement,
    private readonly body: HTMLTableSectionElement,
    private readonly actions: CopyActions,
  ) {}

  update(copies: Copy[], now: number): void {
    const columns = COLUMNS.filter((c) => !c.optional || copies.some(c.optional));
    if (columns.length !== this.columns.length) {
      this.columns = columns;
      this.head.replaceChildren(...columns.map((c) => el('th', { scope: 'col' }, c.title)), el('th', { scope: 'col' }, 'Actions'));
      for (const row of this.rows.values()) this.remove(row);
      this.rows.clear();
    }
    const seen = new Set<string>();
    for (const copy of copies) {
      seen.add(copy.id);
      const row = this.rows.get(copy.id) ?? this.add(copy);
      row.copy = copy;
      this.columns.forEach((column, i) => {
        const text = column.value(copy, now);
        if (row.cells[i]!.textContent !== text) row.cells[i]!.textContent = text;
      });
      row.tr.dataset.status = copy.status;
      const usable = copy.status === 'ready' && !copy.warm;
      for (const button of row.buttons) button.disabled = !usable && button.dataset.action !== 'events';
      if (row.events) void this.fillEvents(row);
    }
    for (const [id, row] of this.rows) {
      if (seen.has(id)) continue;
      this.remove(row);
      this.rows.delete(id);
    }
  }

  private add(copy: Copy): Row {
    // The column's title beside each cell when the table is stacked on a narrow screen (style.css).
    const cells = this.columns.map((column) => {
      const cell = el('td');
      cell.dataset.label = column.title;
      return cell;
    });
    const row: Row = { copy, tr: el('tr'), cells, buttons: [], events: null };
    const button = (action: string, text: string, run: () => void) => {
      const b = el('button', { type: 'button', textContent: text });
      b.dataset.action = action;
      b.setAttribute('aria-label', `${text} ${copy.id}`);
      b.addEventListener('click', run);
      row.buttons.push(b);
      return b;
    };
    const eventsButton = button('events', 'Events', () => this.toggleEvents(row, eventsButton));
    eventsButton.setAttribute('aria-expanded', 'false');
    const actions = el(
      'td',
      { className: 'actions' },
      el(
        'div',
        {},
        button('dsn', 'Copy DSN', () => this.actions.dsn(row.copy)),
        button('extend', '+1 h', () => this.actions.extend(row.copy)),
        button('reset', 'Reset', () => this.actions.reset(row.copy)),
        button('destroy', 'Destroy', () => this.actions.destroy(row.copy)),
        eventsButton,
      ),
    );
    actions.dataset.label = 'Actions';
    row.tr.dataset.copyId = copy.id;
    row.tr.append(...cells, actions);
    this.body.append(row.tr);
    this.rows.set(copy.id, row);
    return row;
  }

  private remove(row: Row): void {
    row.tr.remove();
    row.events?.remove();
  }

  private toggleEvents(row: Row, button: HTMLButtonElement): void {
    if (row.events) {
      row.events.remove();
      row.events = null;
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    const cell = el('td', { colSpan: this.columns.length + 1, className: 'events' }, 'Loading events…');
    row.events = el('tr', {}, cell);
    row.tr.after(row.events);
    button.setAttribute('aria-expanded', 'true');
    void this.fillEvents(row);
  }

  private async fillEvents(row: Row): Promise<void> {
    const target = row.events?.firstElementChild;
    if (!target) return;
    try {
      const events = await this.actions.events(row.copy.id);
      const list = el(
        'ol',
        {},
        ...events.map((e) => {
          const details = Object.entries(e.metadata)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          return el('li', {}, el('time', { dateTime: e.created_at }, new Date(e.created_at).toLocaleString()), ` ${e.action} (${e.actor})${details ? ` ${details}` : ''}`);
        }),
      );
      target.replaceChildren(events.length ? list : 'No events.');
    } catch (err) {
      target.textContent = `Events could not be read: ${(err as Error).message}`;
    }
  }
}
