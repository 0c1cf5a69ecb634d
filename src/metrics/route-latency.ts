import type { onResponseHookHandler } from 'fastify';
import type { MetricValueWithName, Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** One label set's counts: per bucket (not yet cumulative), sum and count. */
interface Series {
  labels: { method: string; route: string; status: string };
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * `gatehouse_http_request_duration_seconds`, the request-latency histogram by method, route pattern and status
 * class. Why not prom-client's Histogram: its `observe` sorts and joins the label set and validates every label on
 * each call, on every request; here each route holds its own series, found by an array index, and prom-client only
 * formats them when `/metrics` is scraped (same name, labels, buckets and text as before).
 */
export class RouteLatency {
  readonly name = 'gatehouse_http_request_duration_seconds';
  readonly help = 'HTTP request latency by route and status class';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: Series[] = [];

  constructor(registry: Registry) {
    // prom-client's Registry formats any object with name, help, type and get(): the documented custom-metric shape.
    registry.registerMetric(this as never);
  }

  /**
   * The `onResponse` hook of one route, built once when the route is declared; why: the labels are known then, so
   * a response only adds its duration to its status class's series. Undefined for `/metrics` (never observed).
   */
  hookFor(route: { method: string | string[]; url: string }): onResponseHookHandler | undefined {
    if (route.url === '/metrics') return undefined;
    const byMethod = new Map<string, Series[]>();
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      byMethod.set(method, STATUS_CLASSES.map((status) => this.newSeries({ method, route: route.url, status })));
    }
    return (request, reply, done) => {
      const series = byMethod.get(request.method)?.[Math.floor(reply.statusCode / 100) - 1];
      if (series) record(series, reply.elapsedTime / 1000);
      done();
    };
  }

  /** What prom-client prints: the cumulative buckets, `+Inf`, sum and count of every series observed at least once. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Array<MetricValueWithName<string>> } {
    const values = this.series.filter((series) => series.count > 0).flatMap(seriesValues.bind(null, this.name));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private newSeries(labels: Series['labels']): Series {
    const series = { labels, counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
    this.series.push(series);
    return series;
  }
}

function record(series: Series, seconds: number): void {
  let bucket = 0;
  while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket += 1;
  series.counts[bucket]! += 1;
  series.sum += seconds;
  series.count += 1;
}

function seriesValues(name: string, series: Series): Array<MetricValueWithName<string>> {
  let cumulative = 0;
  const buckets = [...BUCKETS, '+Inf' as const].map((le, index) => {
    cumulative += series.counts[index]!;
    return { metricName: `${name}_bucket`, labels: { le, ...series.labels }, value: cumulative };
  });
  return [
    ...buckets,
    { metricName: `${name}_sum`, labels: { ...series.labels }, value: series.sum },
    { metricName: `${name}_count`, labels: { ...series.labels }, value: series.count },
  ];
}
