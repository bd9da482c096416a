// Sends known log records to an OTLP/HTTP logs endpoint (protobuf) with the
// OpenTelemetry JavaScript SDK and prints what was sent as JSON, for
// test_logs.py.
//
//   node send_logs.js <otlp logs url> [<extra request headers as JSON>]
//
// Resource {service.name: checkout, host.name: node-1}; scope "shop-lib"
// 1.2.3; three records: a string body with attributes of every kind, a map
// body, and a record inside a span (trace and span ids).
const api = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
const { Resource } = require('@opentelemetry/resources');

const [url, headers] = process.argv.slice(2);
const provider = new LoggerProvider({
  resource: new Resource({ 'service.name': 'checkout', 'host.name': 'node-1' }),
});
provider.addLogRecordProcessor(new SimpleLogRecordProcessor(new OTLPLogExporter({ url, headers: JSON.parse(headers || '{}') })));
const logger = provider.getLogger('shop-lib', '1.2.3');

const t0 = Date.now() - 5000;  // ms; records lie in the recent past
const traceId = '5b8efff798038103d269b633813fc60c';
const spanId = 'eee19b7ec3c1b174';
const inSpan = api.trace.setSpanContext(api.context.active(),
  { traceId, spanId, traceFlags: api.TraceFlags.SAMPLED });

logger.emit({ timestamp: new Date(t0), severityNumber: SeverityNumber.WARN, severityText: 'WARN',
  body: 'payment retried', attributes: { 'order.id': 'o-17', 'attempt': 2, 'ratio': 0.5, 'final': false,
    'tags': ['a', 'b'], 'http': { 'method': 'POST' } } });
logger.emit({ timestamp: new Date(t0 + 1), severityNumber: SeverityNumber.INFO, severityText: 'INFO',
  body: { 'message': 'cart saved', 'items': 3 } });
logger.emit({ timestamp: new Date(t0 + 2), severityNumber: SeverityNumber.ERROR, severityText: 'ERROR',
  body: 'card declined', context: inSpan });

provider.shutdown().then(() => {
  process.stdout.write(JSON.stringify({ t0, traceId, spanId }));
}, (err) => {
  process.stderr.write(String(err));
  process.exit(1);
});
