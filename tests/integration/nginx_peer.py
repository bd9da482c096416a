"""An nginx configured like Vigil's portal (the peer the portal replaces),
run on a free loopback port from a generated config in a temporary prefix.
Used by the differential test and by bench/portal/run.py."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

NGINX_BIN = shutil.which("nginx") or "/usr/sbin/nginx"

_CONFIG = """
{user}
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  include /etc/nginx/mime.types;
  types {{ text/plain md yml yaml repo list sh; }}
  default_type application/octet-stream;
  access_log {access_log};
  client_body_temp_path {prefix}/client_body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server_tokens off;
  client_max_body_size {max_body};
  disable_symlinks on;
  upstream up {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port} default_server;
    server_name i.pigsty;
    root {www};
    autoindex on;
    charset utf-8;
    charset_types text/plain text/css application/javascript application/json;
  }}
  server {{
    listen 127.0.0.1:{port};
    server_name u.pigsty;
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 5s;
      proxy_read_timeout 120s;
    }}
  }}
  server {{
    listen 127.0.0.1:{port};
    server_name d.pigsty;
    location / {{ proxy_pass http://127.0.0.1:1; }}
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NginxPeer:
    """`with NginxPeer(www, upstream_port) as n:` runs nginx on n.port:
    vhost i.pigsty (default) serves `www` with autoindex, u.pigsty proxies
    to the upstream with keep-alive and Pigsty's forwarding headers,
    d.pigsty proxies to a dead port."""

    def __init__(self, www, upstream_port, max_body="4k", workers=2, access_log=True):
        self.tmp = tempfile.TemporaryDirectory(prefix="vigil-nginx-")
        self.prefix = self.tmp.name
        self.port = free_port()
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.prefix, d))
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(_CONFIG.format(user="user root;" if os.geteuid() == 0 else "", workers=workers,
                                   prefix=self.prefix, www=www, upstream_port=upstream_port, port=self.port,
                                   max_body=max_body,
                                   access_log=f"{self.prefix}/access.log" if access_log else "off"))
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([NGINX_BIN, "-p", self.prefix, "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + self.proc.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.tmp.cleanup()
