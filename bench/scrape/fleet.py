"""A fleet of simulated exporters on one loopback port: target i answers at
/metrics/<i> with `--series` series in Prometheus text format (node_exporter-
like names and labels; counters advance on every scrape, gauges wobble).
Bodies are pre-rendered in a few variants per target so the server costs
little CPU next to the scrapers under test.

    /usr/bin/python3 bench/scrape/fleet.py --port 19100 --targets 500 --series 1000
    /usr/bin/python3 bench/scrape/fleet.py --port 19100 --targets 50 --body-file node.txt
"""

import argparse
import asyncio

VARIANTS = 4


def render(target, series, variant):
    lines = ["# HELP bench_cpu_seconds_total Seconds the CPUs spent in each mode.",
             "# TYPE bench_cpu_seconds_total counter"]
    per_family = max(series // 4, 1)
    for i in range(per_family):
        lines.append(f'bench_cpu_seconds_total{{cpu="{i % 64}",mode="m{i // 64}"}} {target * 1000 + i * 7 + variant * 15}')
    lines += ["# TYPE bench_filesystem_avail_bytes gauge"]
    for i in range(per_family):
        lines.append(f'bench_filesystem_avail_bytes{{device="/dev/sd{i}",fstype="ext4",mountpoint="/mnt/{i}"}} '
                     f'{(i + 1) * 1048576 + variant * 4096}')
    lines += ["# TYPE bench_network_receive_bytes_total counter"]
    for i in range(per_family):
        lines.append(f'bench_network_receive_bytes_total{{device="eth{i}"}} {i * 1e6 + variant * 1234.5}')
    lines += ["# TYPE bench_load gauge"]
    for i in range(series - 3 * per_family):
        lines.append(f'bench_load{{n="{i}"}} {0.25 * ((i + variant) % 8)}')
    return ("\n".join(lines) + "\n").encode()


class Fleet:
    def __init__(self, targets, series, body_file=None):
        if body_file:  # every target serves this exposition (e.g. a captured node_exporter page)
            with open(body_file, "rb") as f:
                body = f.read()
            self.bodies = [[body] * VARIANTS for _ in range(targets)]
        else:
            self.bodies = [[render(t, series, v) for v in range(VARIANTS)] for t in range(targets)]
        self.hits = [0] * targets

    async def handle(self, reader, writer):
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                path = request.split(b" ", 2)[1].decode()
                try:
                    target = int(path.rsplit("/", 1)[1])
                    body = self.bodies[target][self.hits[target] % VARIANTS]
                    self.hits[target] += 1
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                except (ValueError, IndexError):
                    body, head = b"not found\n", b"HTTP/1.1 404 Not Found\r\n"
                writer.write(head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--body-file", help="serve this file's content for every target instead of generated series")
    args = ap.parse_args()
    fleet = Fleet(args.targets, args.series, args.body_file)
    server = await asyncio.start_server(fleet.handle, "127.0.0.1", args.port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
