#!/usr/bin/python3
"""emf_listener.py - a stand-in for the CloudWatch agent's EMF listener.

Listens on 127.0.0.1 (UDP and TCP on the same port, like the agent's
25888), checks every document against the Embedded Metric Format
specification, and appends it to --record as one JSON line:
  {"transport": "udp"|"tcp", "ok": true|false, "error": "...", "doc": {...}}

Usage: emf_listener.py --port-file F --record F [--tcp-refuse]
"""
import argparse
import json
import math
import os
import signal
import socket
import sys
import threading

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
    "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
    "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
    "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}

lock = threading.Lock()


def check(doc):
    """Return None if 'doc' is valid EMF, else what is wrong."""
    if not isinstance(doc, dict):
        return "not an object"
    aws = doc.get("_aws")
    if not isinstance(aws, dict):
        return "no _aws object"
    ts = aws.get("Timestamp")
    if not isinstance(ts, int) or ts < 10**12:
        return "_aws.Timestamp is not epoch milliseconds"
    cwm = aws.get("CloudWatchMetrics")
    if not isinstance(cwm, list) or not cwm:
        return "no CloudWatchMetrics"
    for d in cwm:
        if not isinstance(d.get("Namespace"), str) or not d["Namespace"]:
            return "a directive without Namespace"
        dims = d.get("Dimensions")
        if not isinstance(dims, list):
            return "Dimensions is not a list"
        for ds in dims:
            if not isinstance(ds, list) or len(ds) > 30:
                return "a dimension set is not a list of at most 30"
            for name in ds:
                if not isinstance(doc.get(name), str) or not doc[name]:
                    return "dimension %s has no string value" % name
        metrics = d.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            return "Metrics is not a list of 1..100"
        for m in metrics:
            name = m.get("Name")
            if m.get("Unit", "None") not in UNITS:
                return "metric %s: unit %r" % (name, m.get("Unit"))
            if m.get("StorageResolution", 60) not in (1, 60):
                return "metric %s: StorageResolution" % name
            v = doc.get(name)
            vals = v if isinstance(v, list) else [v]
            if len(vals) > 100 or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                    for x in vals):
                return "metric %s: value %r" % (name, v)
    return None


def record(path, transport, text):
    try:
        doc = json.loads(text)
        err = check(doc)
    except ValueError as e:
        doc, err = text, "not JSON: %s" % e
    with lock, open(path, "a") as f:
        f.write(json.dumps({"transport": transport, "ok": err is None, "error": err,
                            "doc": doc}) + "\n")


def serve_udp(sock, path):
    while True:
        data, _ = sock.recvfrom(65535)
        record(path, "udp", data.decode("utf-8", "replace"))


def serve_tcp_conn(conn, path):
    buf = b""
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    record(path, "tcp", line.decode("utf-8", "replace"))


def serve_tcp(sock, path):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, path), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--no-tcp", action="store_true", help="UDP only (TCP refused)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    if not a.no_tcp:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", port))
        tcp.listen(16)
        threading.Thread(target=serve_tcp, args=(tcp, a.record), daemon=True).start()
    open(a.record, "a").close()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    serve_udp(udp, a.record)


if __name__ == "__main__":
    sys.exit(main())
