/**
 * The host's Prometheus metrics, in the text exposition format (version 0.0.4). A handful of
 * counters and one histogram do not need a client library: what is measured is what is shown.
 */

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A figure read at scrape time from elsewhere (the mirror, the state). */
export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Record<string, string>; value: number }[];
}

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly reseeds = new Map<string, number>();
  inFlight = 0;

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = labels({ method, route, status: String(status) });
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const routeKey = labels({ route });
    let h = this.durations.get(routeKey);
    if (!h) this.durations.set(routeKey, (h = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  reseedRan(result: 'ok' | 'failed'): void {
    const key = labels({ result });
    this.reseeds.set(key, (this.reseeds.get(key) ?? 0) + 1);
  }

  /** Everything, with `families` read at scrape time (copies, ports, mirror). */
  render(families: Family[]): string {
    const out: string[] = [];
    const counter = (name: string, help: string, values: Map<string, number>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of values) out.push(`${name}${key} ${value}`);
    };
    counter('ditto_http_requests_total', 'HTTP requests answered, by method, route and status.', this.requests);
    out.push('# HELP ditto_http_request_duration_seconds Time to answer a request, by route.', '# TYPE ditto_http_request_duration_seconds histogram');
    for (const [key, h] of this.durations) {
      const inner = key.slice(1, -1);
      DURATION_BUCKETS.forEach((le, i) => out.push(`ditto_http_request_duration_seconds_bucket{${inner},le="${le}"} ${h.buckets[i]}`));
      out.push(`ditto_http_request_duration_seconds_bucket{${inner},le="+Inf"} ${h.count}`);
      out.push(`ditto_http_request_duration_seconds_sum${key} ${h.sum}`, `ditto_http_request_duration_seconds_count${key} ${h.count}`);
    }
    out.push('# HELP ditto_http_requests_in_flight Requests being answered now.', '# TYPE ditto_http_requests_in_flight gauge', `ditto_http_requests_in_flight ${this.inFlight}`);
    counter('ditto_reseeds_total', 'Scheduled reseeds, by result.', this.reseeds);
    for (const g of families) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type}`);
      for (const s of g.samples) out.push(`${g.name}${s.labels ? labels(s.labels) : ''} ${s.value}`);
    }
    return out.join('\n') + '\n';
  }
}

function labels(values: Record<string, string>): string {
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${Object.entries(values)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',')}}`;
}
