#!/usr/bin/python3
"""fake_imds.py - a fake EC2 instance metadata service (IMDSv2 only) and
container credentials endpoint, for the tests of lib/awscred.

It binds 127.0.0.1 on a free port and writes the port to --port-file
(atomically, once it listens). Every request is logged as one JSON line to
--log before the answer is sent: {"method", "path", "had_token",
"had_auth", "status"}, so a test that got its answer can count requests.

IMDS (default mode):
  PUT /latest/api/token                needs X-aws-ec2-metadata-token-ttl-seconds
                                       (1..21600); answers a new token
  GET /latest/meta-data/instance-id    --instance-id
  GET /latest/meta-data/placement/region  --region
  GET /latest/meta-data/iam/security-credentials/        the role name (--role)
  GET /latest/meta-data/iam/security-credentials/<role>  a new credential set
  every GET needs a valid X-aws-ec2-metadata-token, else 401.
  --fail-token: PUT answers 403 and GETs are served without a token, as on
  a host stuck on IMDSv1 (a client that falls back would show in the log).
  --no-role: the role list answers 404 (no instance profile).
  POST /fake/revoke-tokens forgets every token (the next GET gets 401).

Container (--container):
  GET --container-path answers a credential set when the Authorization
  header equals --auth-token, else 401 (403 for a wrong one).

Credential sets rotate: set N has AccessKeyId ASIAFAKE%04d,
SecretAccessKey fake-s3cr3t-%04d, Token fake-t0k3n-%04d, and expires
--ttl seconds after it is issued. Tokens are imds-t0k3n-<hex>. The markers
s3cr3t and t0k3n let a test check that no secret reaches a log.
"""

import argparse
import datetime
import http.server
import json
import os
import secrets
import signal
import sys
import threading

ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = set()
        self.issued = 0
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def new_token(self):
        tok = "imds-t0k3n-" + secrets.token_hex(16)
        with self.lock:
            self.tokens.add(tok)
        return tok

    def valid(self, tok):
        with self.lock:
            return tok in self.tokens

    def revoke(self):
        with self.lock:
            self.tokens.clear()

    def creds(self):
        with self.lock:
            self.issued += 1
            n = self.issued
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        exp = now + datetime.timedelta(seconds=self.args.ttl)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return {
            "Code": "Success",
            "LastUpdated": now.strftime(fmt),
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIAFAKE%04d" % n,
            "SecretAccessKey": "fake-s3cr3t-%04d" % n,
            "Token": "fake-t0k3n-%04d" % n,
            "Expiration": exp.strftime(fmt),
        }

    def record(self, entry):
        if not self.log:
            return
        with self.lock:
            self.log.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "fake-imds/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def _reply(self, status, body=b"", ctype="text/plain"):
        st = self.server.state
        st.record({
            "method": self.command,
            "path": self.path,
            "had_token": "X-aws-ec2-metadata-token" in self.headers,
            "had_auth": "Authorization" in self.headers,
            "status": status,
        })
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def do_PUT(self):
        st = self.server.state
        self._drain()
        if st.args.container or self.path != "/latest/api/token":
            return self._reply(404)
        if st.args.fail_token:
            return self._reply(403)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self._reply(400)
        return self._reply(200, st.new_token())

    def do_POST(self):
        self._drain()
        if self.path == "/fake/revoke-tokens":
            self.server.state.revoke()
            return self._reply(200, "revoked")
        return self._reply(404)

    def do_GET(self):
        st = self.server.state
        a = st.args
        if a.container:
            if self.path != a.container_path:
                return self._reply(404)
            auth = self.headers.get("Authorization")
            if auth is None:
                return self._reply(401)
            if auth != a.auth_token:
                return self._reply(403)
            return self._reply(200, json.dumps(st.creds()), "application/json")
        if not a.fail_token and not st.valid(self.headers.get("X-aws-ec2-metadata-token")):
            return self._reply(401)
        if self.path == "/latest/meta-data/instance-id":
            return self._reply(200, a.instance_id)
        if self.path == "/latest/meta-data/placement/region":
            return self._reply(200, a.region)
        if self.path == ROLE_PATH:
            return self._reply(404) if a.no_role else self._reply(200, a.role)
        if self.path == ROLE_PATH + a.role and not a.no_role:
            return self._reply(200, json.dumps(st.creds()), "text/plain")
        return self._reply(404)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--ttl", type=int, default=21600,
                   help="seconds each credential set lives")
    p.add_argument("--role", default="efa-monitor-role")
    p.add_argument("--no-role", action="store_true")
    p.add_argument("--instance-id", default="i-0123456789abcdef0")
    p.add_argument("--region", default="eu-north-1")
    p.add_argument("--fail-token", action="store_true")
    p.add_argument("--container", action="store_true")
    p.add_argument("--container-path", default="/v2/credentials/fake")
    p.add_argument("--auth-token", default="auth-t0k3n-abc")
    args = p.parse_args()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
