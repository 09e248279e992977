#!/usr/bin/python3
"""fake_cloudwatch: a local stand-in for the CloudWatch API, for the tests.

Python 3 standard library plus Debian's python3-botocore (used only to
verify signatures, independently of the client under test).

    fake_cloudwatch.py --port-file F --cred AK:SECRET[:TOKEN] ...
                       [--record FILE] [--log FILE] [--port N]
                       [--region R] [--clock-skew SECONDS]
                       [--no-timestamp-check] [--max-body-bytes N]

Serves PutMetricData, PutDashboard, GetDashboard and ListMetrics in both
wire protocols CloudWatch accepts from SigV4 clients that matter here:
AWS JSON 1.0 (X-Amz-Target: GraniteServiceVersion20100801.<Action>) and
Query (form-encoded Action=...&Version=2010-08-01).  Every request's
signature is recomputed with botocore.auth.SigV4Auth from the raw bytes
received; PutMetricData is validated with CloudWatch's limits.  Every API
request, accepted or not, becomes one JSON line in --record and one entry
of GET /__requests.

Control endpoints (unsigned, never recorded):
    GET  /__requests   the records, a JSON list ordered by seq
    POST /__reset      forget records, pending script and fault count
                       (?all=1: also stored metrics and dashboards)
    POST /__script     JSON list of actions for the next API requests:
                       ok 500 502 503 throttle invalid close
                       hang:SECONDS slow:SECONDS
    GET  /__script     {"pending": [...], "consumed": N, "faults_served": N}
    GET  /__dashboards {name: body}
    GET  /__metrics    the stored metrics, as ListMetrics would list them

A scripted action replaces the answer of one request, in arrival order:
the request is still verified, decoded and recorded, but only "ok" and
"slow:S" (answer after S seconds) run it.  500 is InternalServiceError, 503
ServiceUnavailable, throttle a 400 Throttling, invalid a 400
InvalidParameterValue, all in the request's protocol; 502 is an HTML page
as a load balancer sends; close drops the connection unanswered; hang:S
sends nothing for S seconds, then drops it.

A record (sorted keys): seq (from 1 after each reset), time, method, path,
action, protocol ("json", "query", "cbor", "unknown"), status (null when
unanswered), error (the Query error code or null), message, fault (the
scripted action or null), access_key, region, token (an
X-Amz-Security-Token was sent), gzip, body_bytes (as received),
decoded_bytes, signature_ok, namespace, datums, dashboard ({name, body} of
a PutDashboard), and on a signature mismatch canonical_request and
string_to_sign as botocore computed them.  A datum: MetricName, Dimensions
({name: value}), Unit, StorageResolution, Timestamp (epoch seconds, a
float) — null when not sent — and those of Value, Values, Counts,
StatisticValues that were sent, numbers as floats, NaN and infinities as
the strings "NaN", "Infinity", "-Infinity".

Prints nothing on stdout; errors go to stderr; SIGTERM and SIGINT stop it
with exit status 0.
"""

import argparse
import datetime
import hashlib
import hmac
import http.server
import json
import logging
import math
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape as xml_escape

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # the caller's test skips when this is missing
    sys.stderr.write("fake_cloudwatch: python3-botocore is required\n")
    sys.exit(2)

SERVICE = "monitoring"
API_VERSION = "2010-08-01"
TARGET_PREFIX = "GraniteServiceVersion20100801."
XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
JSON_CT = "application/x-amz-json-1.0"
AMZ_DATE_FMT = "%Y%m%dT%H%M%SZ"
ACCOUNT = "123456789012"

# Limits from the PutMetricData reference (see research/cloudwatch.md).
MAX_DATUMS = 1000
MAX_DIMENSIONS = 30
MAX_VALUES = 150
MAX_BODY_BYTES = 1024 * 1024  # "1 MB"; applied to the decoded body
MAX_WIRE_BYTES = 16 * 1024 * 1024  # refuse to even read more than this
VALUE_LIMIT = 2.0 ** 360
TIMESTAMP_PAST = 14 * 86400
TIMESTAMP_FUTURE = 2 * 3600
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
    "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
    "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second",
    "Megabits/Second", "Gigabits/Second", "Terabits/Second",
    "Count/Second", "None",
)
NAMESPACE_RE = re.compile(r"^[A-Za-z0-9._/#: -]+$")
DASHBOARD_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

# Query error code -> (HTTP status, JSON __type, Sender/Receiver).  The JSON
# __type is what botocore strips at '#'; x-amzn-query-error carries the
# Query code, which botocore prefers when present.
CW = "com.amazonaws.cloudwatch#"
CORAL = "com.amazon.coral.service#"
ERRORS = {
    "InvalidParameterValue": (400, CW + "InvalidParameterValueException", "Sender"),
    "MissingParameter": (400, CW + "MissingRequiredParameterException", "Sender"),
    "InvalidParameterCombination": (400, CW + "InvalidParameterCombinationException", "Sender"),
    "InvalidParameterInput": (400, CW + "DashboardInvalidInputError", "Sender"),
    "ResourceNotFound": (404, CW + "DashboardNotFoundError", "Sender"),
    "InternalServiceError": (500, CW + "InternalServiceFault", "Receiver"),
    "Throttling": (400, "com.amazon.coral.availability#ThrottlingException", "Sender"),
    "ServiceUnavailable": (503, "com.amazon.coral.availability#ServiceUnavailableException", "Receiver"),
    "SignatureDoesNotMatch": (403, CORAL + "SignatureDoesNotMatch", "Sender"),
    "InvalidClientTokenId": (403, CORAL + "UnrecognizedClientException", "Sender"),
    "MissingAuthenticationToken": (403, CORAL + "MissingAuthenticationTokenException", "Sender"),
    "IncompleteSignature": (400, CORAL + "IncompleteSignatureException", "Sender"),
    "RequestEntityTooLarge": (413, CORAL + "RequestEntityTooLargeException", "Sender"),
    "InvalidAction": (400, CORAL + "UnknownOperationException", "Sender"),
    "SerializationException": (400, CORAL + "SerializationException", "Sender"),
}

SIG_MISMATCH_MSG = (
    "The request signature we calculated does not match the signature you "
    "provided. Check your AWS Secret Access Key and signing method. Consult "
    "the service documentation for details.")
BAD_TOKEN_MSG = "The security token included in the request is invalid."

log = logging.getLogger("fake_cloudwatch")


class ApiError(Exception):
    """An error answer in CloudWatch's shape: code from ERRORS, message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# --- state -------------------------------------------------------------------

FAULTS = ("ok", "500", "502", "503", "throttle", "invalid", "close")


def parse_fault(action):
    """Check one script action; return it, or raise ValueError."""
    if not isinstance(action, str):
        raise ValueError("script actions are strings")
    if action in FAULTS:
        return action
    kind, _, secs = action.partition(":")
    if kind in ("hang", "slow"):
        try:
            if float(secs) >= 0:
                return action
        except ValueError:
            pass
    raise ValueError("unknown script action %r" % action)


def json_safe(obj):
    """obj with NaN and infinities as the strings "NaN", "Infinity" and
    "-Infinity", so that the records are strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return _fmt_value(obj)
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [json_safe(v) for v in obj]
    return obj


class Store:
    """Everything the server remembers, behind one lock."""

    def __init__(self, record_path):
        self.lock = threading.Lock()
        self.record_path = record_path
        self.record_file = open(record_path, "w") if record_path else None
        self.requests = []
        self.seq = 0
        self.script = []
        self.consumed = 0
        self.faults_served = 0
        self.metrics = {}  # (ns, name, ((dim, value), ...)) -> True
        self.dashboards = {}

    def arrive(self):
        """Number an API request and take its scripted action (or None)."""
        with self.lock:
            self.seq += 1
            fault = None
            if self.script:
                fault = self.script.pop(0)
                self.consumed += 1
                if fault != "ok":
                    self.faults_served += 1
            return self.seq, fault

    def record(self, rec):
        rec = json_safe(rec)
        with self.lock:
            self.requests.append(rec)
            if self.record_file:
                self.record_file.write(json.dumps(rec, sort_keys=True, allow_nan=False) + "\n")
                self.record_file.flush()

    def reset(self, everything):
        with self.lock:
            self.requests = []
            self.seq = 0
            self.script = []
            self.consumed = 0
            self.faults_served = 0
            if everything:
                self.metrics = {}
                self.dashboards = {}
            if self.record_file:
                self.record_file.seek(0)
                self.record_file.truncate()
                self.record_file.flush()

    def set_script(self, actions):
        with self.lock:
            self.script = list(actions)

    def script_state(self):
        with self.lock:
            return {"pending": list(self.script), "consumed": self.consumed,
                "faults_served": self.faults_served}

    def snapshot(self):
        with self.lock:
            return sorted(self.requests, key=lambda r: r["seq"])

    def add_metrics(self, namespace, datums):
        with self.lock:
            for d in datums:
                dims = tuple(sorted(d["Dimensions"].items()))
                self.metrics[(namespace, d["MetricName"], dims)] = True

    def list_metrics(self, namespace=None, name=None, dim_filters=()):
        with self.lock:
            keys = sorted(self.metrics)
        out = []
        for ns, mname, dims in keys:
            if namespace is not None and ns != namespace:
                continue
            if name is not None and mname != name:
                continue
            have = dict(dims)
            if any(f["Name"] not in have or
                   (f.get("Value") is not None and have[f["Name"]] != f["Value"])
                   for f in dim_filters):
                continue
            out.append({"Namespace": ns, "MetricName": mname,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims]})
        return out

    def put_dashboard(self, name, body):
        with self.lock:
            self.dashboards[name] = body

    def get_dashboard(self, name):
        with self.lock:
            return self.dashboards.get(name)

    def all_dashboards(self):
        with self.lock:
            return dict(self.dashboards)


# --- SigV4 -------------------------------------------------------------------

AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$")


def parse_authorization(value):
    """Split an Authorization header into (credential, signed, signature)."""
    m = AUTH_RE.match(value or "")
    if not m:
        raise ApiError("IncompleteSignature",
                       "Authorization header requires AWS4-HMAC-SHA256.")
    fields = {}
    for part in m.group(1).split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    for k in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(k):
            raise ApiError("IncompleteSignature",
                           "Authorization header requires '%s' parameter." % k)
    cred = fields["Credential"].split("/")
    if len(cred) != 5:
        raise ApiError("IncompleteSignature",
                       "Credential must have 5 slash-separated parts: %s" % fields["Credential"])
    return cred, fields["SignedHeaders"].split(";"), fields["Signature"]


class Verifier:
    """Recompute SigV4 signatures with botocore, from what was received."""

    def __init__(self, creds, region, skew):
        self.creds = creds  # access key -> (secret, token or None)
        self.region = region
        self.skew = skew

    def verify(self, method, host, path, headers, raw_body, info):
        """Raise ApiError unless the request is signed right.

        headers is the received http.client.HTTPMessage, raw_body the
        bytes as received (still compressed).  Fills info with the
        access key, region and, on a mismatch, what botocore computed.
        """
        auth = headers.get("Authorization")
        if auth is None:
            raise ApiError("MissingAuthenticationToken",
                           "Request is missing Authentication Token")
        (ak, date, region, service, term), signed, sig = parse_authorization(auth)
        info["access_key"] = ak
        info["region"] = region
        amz_date = headers.get("X-Amz-Date")
        if amz_date is None:
            raise ApiError("IncompleteSignature",
                           "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        try:
            when = datetime.datetime.strptime(amz_date, AMZ_DATE_FMT).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise ApiError("IncompleteSignature", "X-Amz-Date %r is not %s" % (amz_date, AMZ_DATE_FMT))
        if ak not in self.creds:
            raise ApiError("InvalidClientTokenId", BAD_TOKEN_MSG)
        secret, token = self.creds[ak]
        sent_token = headers.get("X-Amz-Security-Token")
        if token != sent_token:
            raise ApiError("InvalidClientTokenId", BAD_TOKEN_MSG)
        if sent_token is not None and "x-amz-security-token" not in signed:
            raise ApiError("SignatureDoesNotMatch",
                           "X-Amz-Security-Token must be a signed header.")
        if date != amz_date[:8] or service != SERVICE or term != "aws4_request":
            raise ApiError("SignatureDoesNotMatch",
                           "Credential should be scoped to %s/<region>/%s/aws4_request, not %s/%s/%s."
                           % (amz_date[:8], SERVICE, date, service, term))
        if self.region and region != self.region:
            raise ApiError("SignatureDoesNotMatch",
                           "Credential should be scoped to a valid region, not '%s'." % region)
        self._check_clock(when, amz_date)
        declared = headers.get("X-Amz-Content-SHA256")
        if declared is not None and declared != hashlib.sha256(raw_body).hexdigest():
            raise ApiError("SignatureDoesNotMatch",
                           "X-Amz-Content-SHA256 does not match the body.")

        req = AWSRequest(method=method, url="http://%s%s" % (host, path), data=raw_body)
        for name in signed:
            values = headers.get_all(name)
            if not values:
                raise ApiError("SignatureDoesNotMatch",
                               "Signed header '%s' is not in the request." % name)
            for v in values:
                req.headers[name] = v
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(ak, secret, token), SERVICE, region)
        mine = signer.signed_headers(signer.headers_to_sign(req))
        if mine != ";".join(signed):
            # botocore never signs user-agent, expect, x-amzn-trace-id;
            # AWS would accept them signed, this fake does not.
            raise ApiError("SignatureDoesNotMatch",
                           "SignedHeaders %s; botocore would sign %s." % (";".join(signed), mine))
        canonical = signer.canonical_request(req)
        sts = signer.string_to_sign(req, canonical)
        expected = signer.signature(sts, req)
        if not hmac.compare_digest(expected, sig):
            info["canonical_request"] = canonical
            info["string_to_sign"] = sts
            raise ApiError("SignatureDoesNotMatch", SIG_MISMATCH_MSG)

    def _check_clock(self, when, amz_date):
        if not self.skew:
            return
        now = datetime.datetime.now(datetime.timezone.utc)
        fmt = lambda t: t.strftime(AMZ_DATE_FMT)
        mins = self.skew // 60
        if when < now - datetime.timedelta(seconds=self.skew):
            raise ApiError("SignatureDoesNotMatch",
                           "Signature expired: %s is now earlier than %s (%s - %d min.)"
                           % (amz_date, fmt(now - datetime.timedelta(seconds=self.skew)), fmt(now), mins))
        if when > now + datetime.timedelta(seconds=self.skew):
            raise ApiError("SignatureDoesNotMatch",
                           "Signature not yet current: %s is still later than %s (%s + %d min.)"
                           % (amz_date, fmt(now + datetime.timedelta(seconds=self.skew)), fmt(now), mins))


# --- request decoding --------------------------------------------------------

def unflatten_query(pairs):
    """Turn Query keys (a.member.1.b=v) into nested dicts and lists."""
    root = {}
    for key, value in pairs:
        toks = key.split(".")
        path = []
        i = 0
        while i < len(toks):
            if toks[i] == "member" and i + 1 < len(toks) and toks[i + 1].isdigit():
                path.append(int(toks[i + 1]))
                i += 2
            else:
                path.append(toks[i])
                i += 1
        node = root
        for p in path[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[path[-1]] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_listify(node[k]) for k in sorted(node)]
    return {k: _listify(v) for k, v in node.items()}


def decode_body(raw, encoding, limit):
    """The request body after Content-Encoding; raise ApiError on trouble."""
    if encoding in (None, "", "identity"):
        body = raw
    elif encoding == "gzip":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = d.decompress(raw, limit + 1)
        except zlib.error as e:
            raise ApiError("InvalidParameterValue", "Could not decompress the gzip body: %s" % e)
        if len(body) <= limit and not d.eof:
            raise ApiError("InvalidParameterValue", "Truncated gzip body.")
    else:
        raise ApiError("InvalidParameterValue", "Unsupported Content-Encoding %r." % encoding)
    if len(body) > limit:
        # A gzip body is only inflated up to the limit: its size is unknown.
        size = "%d" % len(body) if body is raw else "(decompressed)"
        raise ApiError("RequestEntityTooLarge", "Request size %s exceeded %d bytes" % (size, limit))
    return body


class Request:
    """One API request, decoded: protocol, action and input parameters."""

    def __init__(self, protocol, action, params):
        self.protocol = protocol  # "json" or "query"
        self.action = action
        self.params = params


def detect_protocol(headers):
    """'json', 'query' or a short name of what else it is."""
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if headers.get("X-Amz-Target") is not None or ctype.startswith("application/x-amz-json"):
        return "json"
    if ctype == "application/x-www-form-urlencoded":
        return "query"
    if ctype == "application/cbor" or headers.get("Smithy-Protocol"):
        return "cbor"
    return "unknown"


def parse_request(protocol, headers, body):
    """Decode the action and its input; raise ApiError if malformed."""
    if protocol == "json":
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != JSON_CT:
            raise ApiError("SerializationException",
                           "Content-Type must be %s, not %r." % (JSON_CT, ctype))
        target = headers.get("X-Amz-Target") or ""
        if not target.startswith(TARGET_PREFIX):
            raise ApiError("InvalidAction", "Unknown X-Amz-Target %r." % target)
        try:
            params = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError("SerializationException", "Body is not JSON: %s" % e)
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "Body must be a JSON object.")
        return Request("json", target[len(TARGET_PREFIX):], params)
    if protocol == "query":
        try:
            pairs = urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True,
                                           strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError("InvalidParameterValue", "Malformed query string: %s" % e)
        params = unflatten_query(pairs)
        action = params.pop("Action", None)
        version = params.pop("Version", None)
        if not action:
            raise ApiError("MissingParameter", "The request must contain the parameter Action.")
        if version is None:
            raise ApiError("MissingParameter", "The request must contain the parameter Version.")
        if version != API_VERSION:
            raise ApiError("InvalidParameterValue", "Version %r is not %s." % (version, API_VERSION))
        return Request("query", action, params)
    raise ApiError("SerializationException", "Unsupported protocol (%s)." % protocol)


# --- PutMetricData -----------------------------------------------------------

def _fmt_value(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def to_number(req, value, where):
    """A double from the wire: a string in Query, a JSON number in JSON."""
    if req.protocol == "query":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError("InvalidParameterValue",
                           "The value %s for parameter %s is invalid." % (value, where))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError("SerializationException", "%s must be a number." % where)
    return float(value)


def to_int(req, value, where):
    if req.protocol == "query":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError("InvalidParameterValue",
                           "The value %s for parameter %s is invalid." % (value, where))
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("SerializationException", "%s must be an integer." % where)
    return value


def to_timestamp(req, value, where):
    """Epoch seconds: ISO 8601 in Query, a number of seconds in JSON."""
    if req.protocol == "json":
        return to_number(req, value, where)
    try:
        t = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError("InvalidParameterValue",
                       "The value %s for parameter %s is not a valid ISO 8601 time." % (value, where))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.timestamp()


def to_list(req, value, where):
    if req.protocol == "query" and value == "":
        return []  # botocore sends "Name=" for an empty list
    if not isinstance(value, list):
        raise ApiError("InvalidParameterValue" if req.protocol == "query" else
                       "SerializationException", "%s must be a list." % where)
    return value


def decode_datum(req, raw, where):
    """One MetricDatum as recorded: types converted, Dimensions a dict."""
    if not isinstance(raw, dict):
        raise ApiError("SerializationException", "%s must be a structure." % where)
    dims = {}
    raw_dims = raw.get("Dimensions")
    for j, dim in enumerate(to_list(req, [] if raw_dims is None else raw_dims, where + ".Dimensions"), 1):
        dwhere = "%s.Dimensions.member.%d" % (where, j)
        if not isinstance(dim, dict) or dim.get("Name") is None or dim.get("Value") is None:
            raise ApiError("MissingParameter", "The parameters %s.Name and %s.Value are required." % (dwhere, dwhere))
        if not isinstance(dim["Name"], str) or not isinstance(dim["Value"], str):
            raise ApiError("SerializationException", "%s.Name and .Value must be strings." % dwhere)
        if dim["Name"] in dims:
            raise ApiError("InvalidParameterValue",
                           "The dimension name %s is repeated in %s.Dimensions." % (dim["Name"], where))
        dims[dim["Name"]] = dim["Value"]
    d = {
        "MetricName": raw.get("MetricName"),
        "Dimensions": dims,
        "Unit": raw.get("Unit"),
        "StorageResolution": None,
        "Timestamp": None,
    }
    if raw.get("StorageResolution") is not None:
        d["StorageResolution"] = to_int(req, raw["StorageResolution"], where + ".StorageResolution")
    if raw.get("Timestamp") is not None:
        d["Timestamp"] = to_timestamp(req, raw["Timestamp"], where + ".Timestamp")
    if raw.get("Value") is not None:
        d["Value"] = to_number(req, raw["Value"], where + ".Value")
    for key in ("Values", "Counts"):
        if raw.get(key) is not None:
            d[key] = [to_number(req, v, "%s.%s.member.%d" % (where, key, k))
                      for k, v in enumerate(to_list(req, raw[key], where + "." + key), 1)]
    if raw.get("StatisticValues") is not None:
        sv = raw["StatisticValues"]
        if not isinstance(sv, dict):
            raise ApiError("SerializationException", "%s.StatisticValues must be a structure." % where)
        d["StatisticValues"] = {}
        for key in ("SampleCount", "Sum", "Minimum", "Maximum"):
            if sv.get(key) is None:
                raise ApiError("MissingParameter",
                               "The parameter %s.StatisticValues.%s is required." % (where, key))
            d["StatisticValues"][key] = to_number(req, sv[key], "%s.StatisticValues.%s" % (where, key))
    return d


def decode_metric_data(req):
    """(namespace, datums) as recorded; raise ApiError if undecodable."""
    p = req.params
    raw = p.get("MetricData")
    if raw is None:
        return p.get("Namespace"), None
    datums = [decode_datum(req, r, "MetricData.member.%d" % i)
              for i, r in enumerate(to_list(req, raw, "MetricData"), 1)]
    return p.get("Namespace"), datums


def _check_ascii_name(value, where, maxlen, what):
    if not isinstance(value, str) or not 1 <= len(value) <= maxlen:
        raise ApiError("InvalidParameterValue",
                       "The %s %s must be 1 to %d characters long." % (what, where, maxlen))
    if not value.isascii() or not value.strip():
        raise ApiError("InvalidParameterValue",
                       "The %s %s must be ASCII with a non-whitespace character." % (what, where))


def _check_value(v, where):
    if not math.isfinite(v) or abs(v) > VALUE_LIMIT or (v != 0 and abs(v) < 1 / VALUE_LIMIT):
        raise ApiError("InvalidParameterValue",
                       "The value %s for parameter %s is invalid." % (_fmt_value(v), where))


def validate_datum(d, where, now, check_time):
    """Raise ApiError if CloudWatch would refuse this datum."""
    if d["MetricName"] is None:
        raise ApiError("MissingParameter", "The parameter %s.MetricName is required." % where)
    if not isinstance(d["MetricName"], str) or not 1 <= len(d["MetricName"]) <= 255:
        raise ApiError("InvalidParameterValue",
                       "The parameter %s.MetricName must be 1 to 255 characters long." % where)
    if len(d["Dimensions"]) > MAX_DIMENSIONS:
        raise ApiError("InvalidParameterValue",
                       "The collection %s.Dimensions must not have a size greater than %d." % (where, MAX_DIMENSIONS))
    for j, (name, value) in enumerate(d["Dimensions"].items(), 1):
        dw = "%s.Dimensions.member.%d" % (where, j)
        _check_ascii_name(name, dw + ".Name", 255, "parameter")
        if name.startswith(":"):
            raise ApiError("InvalidParameterValue", "The parameter %s.Name must not start with ':'." % dw)
        _check_ascii_name(value, dw + ".Value", 1024, "parameter")
    if d["Unit"] is not None and d["Unit"] not in UNITS:
        raise ApiError("InvalidParameterValue",
                       "The parameter %s.Unit must be a value in the set [ %s ]." % (where, ", ".join(UNITS)))
    if d["StorageResolution"] is not None and d["StorageResolution"] not in (1, 60):
        raise ApiError("InvalidParameterValue",
                       "The value %s for parameter %s.StorageResolution is invalid: it must be 1 or 60."
                       % (d["StorageResolution"], where))
    kinds = [k for k in ("Value", "Values", "StatisticValues") if k in d]
    if len(kinds) > 1:
        raise ApiError("InvalidParameterCombination",
                       "The parameters %s.%s and %s.%s are mutually exclusive and you have specified both."
                       % (where, kinds[0], where, kinds[1]))
    if not kinds:
        raise ApiError("InvalidParameterCombination",
                       "One of the parameters %s.Value, %s.Values or %s.StatisticValues must be specified."
                       % (where, where, where))
    if "Counts" in d and "Values" not in d:
        raise ApiError("InvalidParameterCombination",
                       "The parameter %s.Counts requires %s.Values." % (where, where))
    if "Value" in d:
        _check_value(d["Value"], where + ".Value")
    for key in ("Values", "Counts"):
        if key in d:
            if len(d[key]) > MAX_VALUES:
                raise ApiError("InvalidParameterValue",
                               "The collection %s.%s must not have a size greater than %d." % (where, key, MAX_VALUES))
            for k, v in enumerate(d[key], 1):
                _check_value(v, "%s.%s.member.%d" % (where, key, k))
    if "Counts" in d and len(d["Counts"]) != len(d["Values"]):
        raise ApiError("InvalidParameterValue",
                       "The parameters %s.Values and %s.Counts must be of the same size." % (where, where))
    if "Counts" in d and any(c < 0 for c in d["Counts"]):
        raise ApiError("InvalidParameterValue", "The parameter %s.Counts must not be negative." % where)
    for key, v in d.get("StatisticValues", {}).items():
        _check_value(v, "%s.StatisticValues.%s" % (where, key))
    if check_time and d["Timestamp"] is not None:
        if d["Timestamp"] < now - TIMESTAMP_PAST:
            raise ApiError("InvalidParameterValue",
                           "The parameter %s.Timestamp must specify a time within the past two weeks." % where)
        if d["Timestamp"] > now + TIMESTAMP_FUTURE:
            raise ApiError("InvalidParameterValue",
                           "The parameter %s.Timestamp must specify a time no more than two hours in the future." % where)


def validate_metric_data(namespace, datums, check_time):
    if namespace is None:
        raise ApiError("MissingParameter", "The parameter Namespace is required.")
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255 or \
       not NAMESPACE_RE.match(namespace) or namespace.startswith(":"):
        raise ApiError("InvalidParameterValue",
                       "The value %s for parameter Namespace is invalid." % namespace)
    if namespace.startswith("AWS/"):
        raise ApiError("InvalidParameterValue",
                       "The value %s for parameter Namespace is invalid: AWS/ is reserved." % namespace)
    if not datums:
        raise ApiError("MissingParameter", "The parameter MetricData is required.")
    if len(datums) > MAX_DATUMS:
        raise ApiError("InvalidParameterValue",
                       "The collection MetricData must not have a size greater than %d." % MAX_DATUMS)
    now = time.time()
    for i, d in enumerate(datums, 1):
        validate_datum(d, "MetricData.member.%d" % i, now, check_time)


# --- responses ---------------------------------------------------------------

class Response:
    def __init__(self, status, body, ctype, headers=None):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or {}


def _xml_value(value):
    if isinstance(value, list):
        return "".join("<member>%s</member>" % _xml_value(v) for v in value)
    if isinstance(value, dict):
        return "".join("<%s>%s</%s>" % (k, _xml_value(v), k) for k, v in value.items())
    return xml_escape(str(value))


def ok_response(req, result, request_id):
    """A success answer: result is the output structure (dict or None)."""
    if req.protocol == "json":
        return Response(200, json.dumps(result or {}).encode(), JSON_CT)
    inner = ""
    if result is not None:
        inner = "<%sResult>%s</%sResult>" % (req.action, _xml_value(result), req.action)
    xml = ('<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId>'
           "</ResponseMetadata></%sResponse>\n" % (req.action, XMLNS, inner, request_id, req.action))
    return Response(200, xml.encode(), "text/xml")


def error_response(protocol, code, message, request_id):
    status, jtype, kind = ERRORS[code]
    if protocol == "json":
        body = json.dumps({"__type": jtype, "message": message}).encode()
        return Response(status, body, JSON_CT, {"x-amzn-query-error": "%s;%s" % (code, kind)})
    xml = ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code>'
           "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n"
           % (XMLNS, kind, code, xml_escape(message), request_id))
    return Response(status, xml.encode(), "text/xml")


# --- the actions -------------------------------------------------------------

class Api:
    def __init__(self, store, check_time):
        self.store = store
        self.check_time = check_time

    def dispatch(self, req, rec):
        """Run one action; return its output structure or raise ApiError."""
        handler = {
            "PutMetricData": self.put_metric_data,
            "PutDashboard": self.put_dashboard,
            "GetDashboard": self.get_dashboard,
            "ListMetrics": self.list_metrics,
        }.get(req.action)
        if handler is None:
            raise ApiError("InvalidAction", "The action %s is not valid for this web service." % req.action)
        return handler(req, rec)

    def put_metric_data(self, req, rec):
        namespace, datums = rec["namespace"], rec["datums"]
        validate_metric_data(namespace, datums, self.check_time)
        self.store.add_metrics(namespace, datums)
        return None

    def put_dashboard(self, req, rec):
        name = req.params.get("DashboardName")
        body = req.params.get("DashboardBody")
        for key, value in (("DashboardName", name), ("DashboardBody", body)):
            if value is None:
                raise ApiError("MissingParameter", "The parameter %s is required." % key)
        if not isinstance(name, str) or not DASHBOARD_NAME_RE.match(name):
            raise ApiError("InvalidParameterValue",
                           "The value for field DashboardName contains invalid characters. "
                           "It can only contain alphanumerics, dash (-) and underscore (_).")
        try:
            doc = json.loads(body) if isinstance(body, str) else None
        except ValueError as e:
            raise ApiError("InvalidParameterInput", "The field DashboardBody must be JSON: %s" % e)
        if not isinstance(doc, dict):
            raise ApiError("InvalidParameterInput", "The field DashboardBody must be a JSON object.")
        widgets = doc.get("widgets", [])
        if not isinstance(widgets, list) or any(not isinstance(w, dict) or "type" not in w for w in widgets):
            raise ApiError("InvalidParameterInput",
                           "The field DashboardBody.widgets must be a list of objects with a type.")
        self.store.put_dashboard(name, body)
        return {"DashboardValidationMessages": []}

    def get_dashboard(self, req, rec):
        name = req.params.get("DashboardName")
        if name is None:
            raise ApiError("MissingParameter", "The parameter DashboardName is required.")
        body = self.store.get_dashboard(name)
        if body is None:
            raise ApiError("ResourceNotFound", "Dashboard %s does not exist" % name)
        return {"DashboardArn": "arn:aws:cloudwatch::%s:dashboard/%s" % (ACCOUNT, name),
            "DashboardBody": body, "DashboardName": name}

    def list_metrics(self, req, rec):
        filters = req.params.get("Dimensions") or []
        if not isinstance(filters, list) or any(not isinstance(f, dict) or "Name" not in f for f in filters):
            raise ApiError("InvalidParameterValue", "Dimensions must be a list of {Name, Value}.")
        return {"Metrics": self.store.list_metrics(req.params.get("Namespace"),
                                                  req.params.get("MetricName"), filters)}


# --- HTTP --------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-cloudwatch"

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        log.info("%s %s", self.address_string(), fmt % args)

    # control endpoints ------------------------------------------------------

    def _send(self, resp):
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.ctype)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(resp.body)

    def _send_json(self, status, obj):
        self._send(Response(status, (json.dumps(obj, sort_keys=True) + "\n").encode(), "application/json"))

    def _control(self, method, body):
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        route = (method, url.path)
        if route == ("GET", "/__requests"):
            return self._send_json(200, srv.store.snapshot())
        if route == ("POST", "/__reset"):
            srv.store.reset(query.get("all") == "1")
            return self._send_json(200, {})
        if route == ("POST", "/__script"):
            try:
                actions = json.loads(body.decode() or "null")
                if not isinstance(actions, list):
                    raise ValueError("the script is a JSON list")
                actions = [parse_fault(a) for a in actions]
            except ValueError as e:
                return self._send_json(400, {"error": str(e)})
            srv.store.set_script(actions)
            return self._send_json(200, srv.store.script_state())
        if route == ("GET", "/__script"):
            return self._send_json(200, srv.store.script_state())
        if route == ("GET", "/__dashboards"):
            return self._send_json(200, srv.store.all_dashboards())
        if route == ("GET", "/__metrics"):
            return self._send_json(200, srv.store.list_metrics())
        return self._send_json(404, {"error": "no control endpoint %s %s" % route})

    # the API ----------------------------------------------------------------

    def _read_body(self):
        """The raw body (Content-Length or chunked), or None if too big."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if te == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_WIRE_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_WIRE_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path.startswith("/__"):
            return self._control("GET", b"")
        self._api("GET")

    def do_POST(self):
        self._api("POST")

    def _api(self, method):
        raw = self._read_body()
        if raw is None:
            self.close_connection = True
            return self._send(Response(413, b"request too large\n", "text/plain"))
        if self.path.startswith("/__"):
            return self._control(method, raw)
        srv = self.server
        seq, fault = srv.store.arrive()
        request_id = str(uuid.uuid4())
        protocol = detect_protocol(self.headers)
        encoding = (self.headers.get("Content-Encoding") or "").strip().lower()
        rec = {
            "seq": seq, "time": time.time(), "method": method, "path": self.path,
            "action": None, "protocol": protocol, "status": None, "error": None,
            "message": None, "fault": fault, "access_key": None, "region": None,
            "token": self.headers.get("X-Amz-Security-Token") is not None,
            "gzip": encoding == "gzip", "body_bytes": len(raw), "decoded_bytes": None,
            "signature_ok": False, "namespace": None, "datums": None, "dashboard": None,
        }
        try:
            resp = self._handle(method, raw, encoding, protocol, fault, rec, request_id)
        except Exception as e:  # a bug here: answer like AWS would, say why
            log.exception("#%d: internal error", seq)
            sys.stderr.write("fake_cloudwatch: internal error: %r\n" % e)
            rec["error"], rec["message"] = "InternalServiceError", "fake_cloudwatch bug: %r" % e
            resp = error_response("json" if protocol == "json" else "query", rec["error"],
                                  rec["message"], request_id)
        if resp is None:  # hang or close: no answer at all
            srv.store.record(rec)
            log.info("#%d %s: fault %s", seq, rec["action"], fault)
            if fault.startswith("hang:"):
                time.sleep(float(fault[5:]))
            self.close_connection = True
            return
        rec["status"] = resp.status
        srv.store.record(rec)
        log.info("#%d %s %s -> %d %s%s", seq, rec["protocol"], rec["action"], resp.status,
                 rec["error"] or "", " (fault %s)" % fault if fault else "")
        if fault and fault.startswith("slow:"):
            time.sleep(float(fault[5:]))
        resp.headers["x-amzn-RequestId"] = request_id
        self._send(resp)

    def _handle(self, method, raw, encoding, protocol, fault, rec, request_id):
        """Verify, decode and run one API request; fill rec; the answer."""
        srv = self.server
        answer_protocol = "json" if protocol == "json" else "query"
        sig_error = None
        host = self.headers.get("Host") or "127.0.0.1:%d" % srv.server_address[1]
        info = {}
        try:
            srv.verifier.verify(method, host, self.path, self.headers, raw, info)
            rec["signature_ok"] = True
        except ApiError as e:
            sig_error = e
            if "canonical_request" in info:
                rec["canonical_request"] = info["canonical_request"]
                rec["string_to_sign"] = info["string_to_sign"]
                log.info("signature mismatch; botocore's canonical request:\n%s\nstring to sign:\n%s",
                         info["canonical_request"], info["string_to_sign"])
        rec["access_key"] = info.get("access_key")
        rec["region"] = info.get("region")

        # Decode even when the signature is bad: the record says what came.
        req, decode_error = None, None
        try:
            if method != "POST":
                raise ApiError("InvalidAction", "Only POST is served.")
            body = decode_body(raw, encoding, srv.max_body)
            rec["decoded_bytes"] = len(body)
            req = parse_request(protocol, self.headers, body)
            rec["action"] = req.action
            if req.action == "PutMetricData":
                rec["namespace"], rec["datums"] = decode_metric_data(req)
            elif req.action == "PutDashboard":
                rec["dashboard"] = {"name": req.params.get("DashboardName"),
                                    "body": req.params.get("DashboardBody")}
        except ApiError as e:
            decode_error = e

        if fault and fault.startswith(("hang:", "close")):
            return None
        if fault and fault != "ok" and not fault.startswith("slow:"):
            return self._fault_response(fault, answer_protocol, rec, request_id)
        try:
            if sig_error:
                raise sig_error
            if decode_error:
                raise decode_error
            result = srv.api.dispatch(req, rec)
            return ok_response(req, result, request_id)
        except ApiError as e:
            rec["error"], rec["message"] = e.code, e.message
            return error_response(answer_protocol, e.code, e.message, request_id)

    def _fault_response(self, fault, protocol, rec, request_id):
        if fault == "502":
            rec["error"], rec["message"] = "BadGateway", "fault injected: 502"
            return Response(502, b"<html><body>502 Bad Gateway</body></html>\n", "text/html")
        code, message = {
            "500": ("InternalServiceError", "fault injected: internal error"),
            "503": ("ServiceUnavailable", "fault injected: service unavailable"),
            "throttle": ("Throttling", "Rate exceeded"),
            "invalid": ("InvalidParameterValue", "fault injected: invalid parameter"),
        }[fault]
        rec["error"], rec["message"] = code, message
        return error_response(protocol, code, message, request_id)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        # Clients that go away (timeouts, the tests of them) are normal.
        log.info("connection from %s ended with an error", client_address, exc_info=True)


# --- main --------------------------------------------------------------------

def parse_cred(text):
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError("--cred takes AK:SECRET or AK:SECRET:TOKEN")
    return parts[0], (parts[1], parts[2] if len(parts) == 3 else None)


def parse_args(argv):
    ap = argparse.ArgumentParser(description="A local fake of the CloudWatch API for the tests.")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    ap.add_argument("--port-file", required=True, help="write the chosen port here")
    ap.add_argument("--cred", action="append", type=parse_cred, default=[],
            help="AK:SECRET[:TOKEN] accepted (repeat)")
    ap.add_argument("--record", help="one JSON line per API request here (emptied at start and by /__reset)")
    ap.add_argument("--log", help="log requests here")
    ap.add_argument("--region", help="only accept signatures scoped to this region")
    ap.add_argument("--clock-skew", type=int, default=900,
            help="accepted X-Amz-Date skew in seconds, 0 disables (default 900)")
    ap.add_argument("--no-timestamp-check", action="store_true",
            help="accept datum timestamps outside [now - 2 weeks, now + 2 h]")
    ap.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES,
            help="largest decoded body accepted (default %d)" % MAX_BODY_BYTES)
    args = ap.parse_args(argv)
    if not args.cred:
        ap.error("give at least one --cred")
    return args


def write_port_file(path, port):
    """Write the port so that a reader never sees a partial file."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv):
    args = parse_args(argv)
    if args.log:
        logging.basicConfig(filename=args.log, level=logging.INFO,
                            format="%(asctime)s fake_cloudwatch: %(message)s")
    else:
        log.addHandler(logging.NullHandler())
        log.propagate = False
    server = Server(("127.0.0.1", args.port), Handler)
    server.store = Store(args.record)
    server.verifier = Verifier(dict(args.cred), args.region, args.clock_skew)
    server.api = Api(server.store, not args.no_timestamp_check)
    server.max_body = args.max_body_bytes

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    write_port_file(args.port_file, server.server_address[1])
    log.info("listening on 127.0.0.1:%d", server.server_address[1])
    while not stop.wait(1):
        pass
    log.info("stopping")
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as e:
        sys.stderr.write("fake_cloudwatch: %s\n" % e)
        sys.exit(1)
