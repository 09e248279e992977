#!/usr/bin/python3
"""sigv4_expected.py - the botocore side of tests/unit/test_sigv4.c.

The constants in test_sigv4.c marked "from sigv4_expected.py" (the gzip
body bytes and the expected canonical requests, strings to sign and
Authorization values) were produced once by running

    /usr/bin/python3 tests/unit/sigv4_expected.py

(Debian bookworm's python3-botocore 1.29) and pasting its output. The test
does not run this script; rerun it only to re-derive the constants, which
must then come out the same.

botocore signs independently of lib/sigv4.c: SigV4Auth's
canonical_request(), string_to_sign() and signature() are called directly
with request.context['timestamp'] set (add_auth() would use the clock).
The Authorization value is assembled the way botocore's add_auth() does.
"""
import gzip

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AMZ_DATE = "20260101T000000Z"  # epoch 1767225600


def c_string(text):
    """text as a C string literal: a source line per text line, and long
    lines cut after ", " (the Authorization value)."""
    out = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        line += "\n" if i < len(lines) - 1 else ""
        pieces = line.split(", ")
        for j, piece in enumerate(pieces):
            piece += ", " if j < len(pieces) - 1 else ""
            esc = piece.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            out.append('\t"%s"' % esc)
    return "\n".join(out)


def c_bytes(data):
    rows = []
    for i in range(0, len(data), 12):
        rows.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 12]))
    return "\n".join(rows)


def sign(name, creds, service, region, method, url, headers, body):
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    request.context["timestamp"] = AMZ_DATE
    auth = SigV4Auth(creds, service, region)
    creq = auth.canonical_request(request)
    sts = auth.string_to_sign(request, creq)
    sig = auth.signature(sts, request)
    authz = "AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s" % (
        auth.scope(request), auth.signed_headers(auth.headers_to_sign(request)), sig)
    print("/* %s */" % name)
    print("static const char _%s_creq[] =\n%s;" % (name, c_string(creq)))
    print("static const char _%s_sts[] =\n%s;" % (name, c_string(sts)))
    print("static const char _%s_authz[] =\n%s;" % (name, c_string(authz)))
    print()


def main():
    # A CloudWatch PutMetricData request as lib/cwmetric + the HTTP sink send
    # it: JSON 1.0, gzipped (mtime 0 so the bytes never change), temporary
    # credentials, an endpoint with a port.
    doc = (b'{"Namespace":"ParallelCluster/Network","MetricData":[{"MetricName":'
           b'"rx_bytes_rate","Dimensions":[{"Name":"InstanceId","Value":"i-0abc"},'
           b'{"Name":"Interface","Value":"rdmap0s6"},{"Name":"JobId","Value":"42"}],'
           b'"Timestamp":1767225600,"Value":1.5e9,"Unit":"Bytes/Second",'
           b'"StorageResolution":60}]}')
    body = gzip.compress(doc, mtime=0)
    assert b"\0" in body
    print("/* cw: gzip of %d bytes of PutMetricData JSON */" % len(doc))
    print("static const unsigned char _cw_body[] = {\n%s\n};" % c_bytes(body))
    print()
    creds = Credentials("ASIAEXAMPLEKEY123456", "SeCrEt/Key+With/Slashes0123456789EXAMPLE",
                        "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJH+token/part==")
    sign("cw", creds, "monitoring", "eu-west-1", "POST", "http://127.0.0.1:4566/",
         {"Content-Type": "application/x-amz-json-1.0",
          "Content-Encoding": "gzip",
          "Host": "127.0.0.1:4566",
          "X-Amz-Date": AMZ_DATE,
          "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
          "X-Amz-Security-Token": creds.token},
         body)

    # Corners the official suite leaves out: dot segments with a space and
    # a '%' in the path, a key without '=', a repeated key, an encoded
    # UTF-8 key, tabs and runs of spaces in a header value, an empty value.
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    sign("odd", creds, "service", "us-east-1", "GET",
         "https://example.amazonaws.com/a/./b/../c%41 d//e/?b=2&a=%E1%88%B4&a=1&c",
         {"Host": "example.amazonaws.com",
          "X-Amz-Date": AMZ_DATE,
          "My-Header": " \t one  \t two   three ",
          "X-Empty": ""},
         b"")

    # The smallest request test_bad_args() ends with once every argument is
    # fixed: the suite's key and time, host and one other header.
    sign("min", creds, "service", "us-east-1", "GET", "https://h/",
         {"Host": "h", "X-A": "1", "X-Amz-Date": AMZ_DATE}, b"")


if __name__ == "__main__":
    main()
