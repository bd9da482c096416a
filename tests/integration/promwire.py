"""A tiny Prometheus remote_write encoder (protobuf wire format by hand) so
tests need no generated code. WriteRequest{timeseries=1}, TimeSeries{labels=1,
samples=2}, Label{name=1,value=2}, Sample{value=1 (double), timestamp=2 (int64)}."""

import struct

import snappy


def _varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    return _varint((num << 3) | wire) + payload


def _bytes_field(num, data):
    return _field(num, 2, _varint(len(data)) + data)


def encode_write_request(series):
    """series: list of (labels dict, [(ts_ms, value), ...]) -> protobuf bytes."""
    body = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for name in sorted(labels):
            lab = _bytes_field(1, name.encode()) + _bytes_field(2, labels[name].encode())
            ts += _bytes_field(1, lab)
        for t, v in samples:
            smp = _field(1, 1, struct.pack("<d", v)) + _field(2, 0, _varint(t))
            ts += _bytes_field(2, smp)
        body += _bytes_field(1, bytes(ts))
    return bytes(body)


def snappy_write_request(series):
    return snappy.compress(encode_write_request(series))


REMOTE_WRITE_HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}
