// Sends a known tree of spans to an OTLP/HTTP endpoint with the OpenTelemetry
// JavaScript SDK and prints what was sent as JSON, for test_traces.py.
//
//   node send_spans.js <otlp traces url> <proto|json> <trace-id-seed>
//
// The tree (service "shop-<encoding>" calling "stock-<encoding>"):
//   checkout (server, 1200 ms)
//   ├── db.query (client, 300 ms, attributes db.system, db.rows int, ratio double)
//   ├── render (internal, 200 ms, an event "cache.miss" with an attribute)
//   └── reserve  [service stock-*] (server, 400 ms, status ERROR "out of stock", a link to db.query)
const api = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { Resource } = require('@opentelemetry/resources');

const [url, encoding] = process.argv.slice(2);
const Exporter = encoding === 'proto'
  ? require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter
  : require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter;

function provider(service) {
  const exporter = new Exporter({ url });
  return new BasicTracerProvider({
    resource: new Resource({ 'service.name': service, 'host.name': 'node-1', 'deployment.env': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
}

const shop = provider(`shop-${encoding}`);
const stock = provider(`stock-${encoding}`);
const shopTracer = shop.getTracer('shop-lib', '1.2.3');
const stockTracer = stock.getTracer('stock-lib');

const t0 = Date.now() - 5000;  // ms; spans lie in the recent past
const at = (ms) => new Date(t0 + ms);
const sent = [];
function record(span, service, extra) {
  const c = span.spanContext();
  sent.push(Object.assign({ traceId: c.traceId, spanId: c.spanId, service, name: span.name }, extra));
}

const root = shopTracer.startSpan('checkout', { kind: api.SpanKind.SERVER, startTime: at(0),
  attributes: { 'http.method': 'POST', 'http.route': '/checkout' } });
const rootCtx = api.trace.setSpan(api.context.active(), root);

const db = shopTracer.startSpan('db.query', { kind: api.SpanKind.CLIENT, startTime: at(100),
  attributes: { 'db.system': 'postgresql', 'db.rows': 42, 'ratio': 0.25, 'flag': true } }, rootCtx);
db.end(at(400));
record(db, `shop-${encoding}`, { parent: root.spanContext().spanId, startMs: t0 + 100, durationMs: 300,
  kind: 'client', attributes: { 'db.system': 'postgresql', 'db.rows': '42', 'ratio': '0.25', 'flag': 'true' } });

const render = shopTracer.startSpan('render', { kind: api.SpanKind.INTERNAL, startTime: at(450) }, rootCtx);
render.addEvent('cache.miss', { key: 'cart:7' }, at(500));
render.end(at(650));
record(render, `shop-${encoding}`, { parent: root.spanContext().spanId, startMs: t0 + 450, durationMs: 200,
  kind: 'internal', attributes: {}, event: { name: 'cache.miss', key: 'cart:7', timeMs: t0 + 500 } });

const reserve = stockTracer.startSpan('reserve', { kind: api.SpanKind.SERVER, startTime: at(700),
  links: [{ context: db.spanContext(), attributes: { reason: 'retry' } }] }, rootCtx);
reserve.setStatus({ code: api.SpanStatusCode.ERROR, message: 'out of stock' });
reserve.end(at(1100));
record(reserve, `stock-${encoding}`, { parent: root.spanContext().spanId, startMs: t0 + 700, durationMs: 400,
  kind: 'server', attributes: {}, error: 'out of stock', link: db.spanContext().spanId });

root.end(at(1200));
record(root, `shop-${encoding}`, { parent: '', startMs: t0, durationMs: 1200, kind: 'server',
  attributes: { 'http.method': 'POST', 'http.route': '/checkout' } });

Promise.all([shop.forceFlush(), stock.forceFlush()])
  .then(() => Promise.all([shop.shutdown(), stock.shutdown()]))
  .then(() => { process.stdout.write(JSON.stringify(sent)); })
  .catch((e) => { console.error(e); process.exit(1); });
