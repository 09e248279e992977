#!/bin/bash
# The fake CloudWatch (tests/fakes/fake_cloudwatch.py) against AWS's own
# clients: what Debian's aws CLI and botocore send must pass its signature
# check and come out of its record exactly, its errors must reach them in
# the shape they parse, and its fault script must drive their retries.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
AWS_CLI=${AWS_CLI:-/usr/bin/aws} # Debian's awscli, not one from pip
FAKE="${srcdir:-$(dirname "$0")/../..}/tests/fakes/fake_cloudwatch.py"
[ -x "$AWS_CLI" ] || { echo "# skip: no $AWS_CLI (Debian package awscli)"; exit 77; }
$PY -c 'import botocore' 2>/dev/null || { echo "# skip: no python3-botocore"; exit 77; }

$PY "$FAKE" --port-file "$WORK/port" --record "$WORK/rec.jsonl" --log "$WORK/fake.log" \
	--cred AKIDFAKE:s3cret --cred ASIAFAKE:t3mp:tok3n > "$WORK/fake.out" 2> "$WORK/fake.err" &
fake=$!; PIDS+=("$fake")
wait_for test -s "$WORK/port" || fail "the fake wrote no port file"
URL=http://127.0.0.1:$(cat "$WORK/port")
mkdir "$WORK/home"

# isolated CMD...: no real AWS configuration, credentials, instance metadata
# or proxy within reach; botocore's standard retry mode, 3 attempts.
isolated() {
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		AWS_EC2_METADATA_DISABLED=true AWS_PAGER= \
		AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3 "$@"
}
# cw AK SECRET TOKEN ARGS...: the aws CLI against the fake
cw() {
	local ak=$1 sk=$2 tok=$3; shift 3
	isolated AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" ${tok:+AWS_SESSION_TOKEN="$tok"} \
		"$AWS_CLI" --endpoint-url "$URL" --region us-east-1 "$@"
}
# ctl METHOD PATH [BODY]: the fake's control API
ctl() {
	$PY - "$URL$2" "$1" "${3-}" <<-'EOF'
	import sys, urllib.request
	url, method, body = sys.argv[1:4]
	req = urllib.request.Request(url, data=body.encode() if method == "POST" else None, method=method)
	sys.stdout.write(urllib.request.urlopen(req, timeout=10).read().decode())
	EOF
}
# rec EXPR: a Python expression over r, the records since the last reset
# (one per API request, from the --record file), as sorted-key JSON
rec() {
	$PY - "$WORK/rec.jsonl" "$1" <<-'EOF'
	import json, sys
	r = [json.loads(line) for line in open(sys.argv[1])]
	print(json.dumps(eval(sys.argv[2]), sort_keys=True))
	EOF
}
reset() { ctl POST /__reset > /dev/null || fail "POST /__reset"; }
script() { ctl POST /__script "$1" > /dev/null || fail "POST /__script $1"; }
SUMMARY='[x[k] for x in r for k in ("action", "protocol", "status", "error", "signature_ok", "access_key", "token")]'
now=$(date +%s)
ts=$((now - 120))
ts_iso=$(date -u -d "@$ts" +%Y-%m-%dT%H:%M:%SZ)

# --- 1. the aws CLI's PutMetricData: signed right, the datum exactly ------
reset
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace ParallelCluster/Network \
	--metric-name rx_bytes_rate --dimensions InstanceId=i-0abc,Interface=rdmap0s6,JobId=42 \
	--value 1500000000 --unit Bytes/Second > "$WORK/out" 2>&1
assert_eq "$?" 0 "aws put-metric-data exits 0"
assert_eq "$(rec "$SUMMARY")" '["PutMetricData", "query", 200, null, true, "AKIDFAKE", false]' \
	"one request: PutMetricData in the Query protocol, signature verified, accepted"
assert_eq "$(rec '[r[0]["namespace"], r[0]["region"], r[0]["gzip"]]')" '["ParallelCluster/Network", "us-east-1", false]' \
	"namespace, signing region, no gzip"
assert_eq "$(rec 'r[0]["datums"]')" \
	'[{"Dimensions": {"InstanceId": "i-0abc", "Interface": "rdmap0s6", "JobId": "42"}, "MetricName": "rx_bytes_rate", "StorageResolution": null, "Timestamp": null, "Unit": "Bytes/Second", "Value": 1500000000.0}]' \
	"the recorded datum is exactly the one given to aws"
assert_eq "$(ctl GET /__requests | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
	"$(rec r)" "GET /__requests returns what the --record file holds"

# --- 2. temporary credentials; wrong secret; wrong token ------------------
reset
cw ASIAFAKE t3mp tok3n cloudwatch put-metric-data --namespace ParallelCluster/Network \
	--metric-name tx_bytes_rate --dimensions InstanceId=i-0abc --value 2.5 --unit Gigabits/Second \
	--storage-resolution 1 --timestamp "$ts_iso" > "$WORK/out" 2>&1
assert_eq "$?" 0 "aws with a session token exits 0"
assert_eq "$(rec "$SUMMARY")" '["PutMetricData", "query", 200, null, true, "ASIAFAKE", true]' \
	"the session token is sent, signed and matched"
assert_eq "$(rec 'r[0]["datums"]')" \
	"[{\"Dimensions\": {\"InstanceId\": \"i-0abc\"}, \"MetricName\": \"tx_bytes_rate\", \"StorageResolution\": 1, \"Timestamp\": $ts.0, \"Unit\": \"Gigabits/Second\", \"Value\": 2.5}]" \
	"timestamp ($ts_iso) and storage resolution recorded exactly"
reset
cw AKIDFAKE not-the-secret "" cloudwatch put-metric-data --namespace ParallelCluster/Network \
	--metric-name rx_bytes_rate --value 1 > "$WORK/out" 2> "$WORK/err"
rc=$?
[ "$rc" -ne 0 ] || fail "aws with a wrong secret exits 0"
ok "aws with a wrong secret fails (exit $rc)"
assert_eq "$(grep -v '^$' "$WORK/err")" \
	"An error occurred (SignatureDoesNotMatch) when calling the PutMetricData operation: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details." \
	"aws reports the fake's SignatureDoesNotMatch"
assert_eq "$(rec "$SUMMARY")" '["PutMetricData", "query", 403, "SignatureDoesNotMatch", false, "AKIDFAKE", false]' \
	"recorded once, rejected with 403 SignatureDoesNotMatch"
reset
cw ASIAFAKE t3mp other-token cloudwatch put-metric-data --namespace N --metric-name m --value 1 > /dev/null 2> "$WORK/err"
cw ASIAFAKE t3mp "" cloudwatch put-metric-data --namespace N --metric-name m --value 1 > /dev/null 2>> "$WORK/err"
assert_eq "$(rec '[(x["status"], x["error"], x["token"]) for x in r]')" \
	'[[403, "InvalidClientTokenId", true], [403, "InvalidClientTokenId", false]]' \
	"a wrong or missing session token is InvalidClientTokenId"

# --- 3. botocore's own client: two datums, one with Values/Counts ---------
reset
isolated $PY - "$URL" "$ts" > "$WORK/boto.out" 2>&1 <<-'EOF'
import json, sys, botocore, botocore.session
url, ts = sys.argv[1], int(sys.argv[2])
c = botocore.session.get_session().create_client(
    "cloudwatch", endpoint_url=url, region_name="eu-west-1",
    aws_access_key_id="AKIDFAKE", aws_secret_access_key="s3cret")
print("protocol", c.meta.service_model.protocol, "botocore", botocore.__version__)
c.put_metric_data(Namespace="ParallelCluster/Network", MetricData=[
    {"MetricName": "rx_bytes_rate", "Timestamp": ts, "Value": 123456.789,
     "Dimensions": [{"Name": "InstanceId", "Value": "i-0def"}, {"Name": "JobId", "Value": "7"}],
     "Unit": "Bytes/Second", "StorageResolution": 60},
    {"MetricName": "latency", "Timestamp": ts, "Values": [0.5, 1.25, 8.0], "Counts": [10, 3, 1],
     "Dimensions": [{"Name": "JobId", "Value": "7"}], "Unit": "Milliseconds", "StorageResolution": 1}])
m = c.list_metrics(Namespace="ParallelCluster/Network", Dimensions=[{"Name": "JobId", "Value": "7"}])
print("metrics", json.dumps(m["Metrics"], sort_keys=True))
EOF
assert_eq "$?" 0 "botocore put_metric_data and list_metrics succeed"
proto=$(sed -n 's/^protocol \([a-z-]*\) .*/\1/p' "$WORK/boto.out")
assert_eq "$(rec '[x["protocol"] for x in r]')" "[\"$proto\", \"$proto\"]" \
	"botocore sends the protocol of its model ($(sed -n 's/^protocol //p' "$WORK/boto.out"))"
assert_eq "$(rec '[r[0]["status"], r[0]["signature_ok"], r[0]["region"], r[0]["namespace"]]')" \
	'[200, true, "eu-west-1", "ParallelCluster/Network"]' "accepted, signed for eu-west-1"
assert_eq "$(rec 'r[0]["datums"]')" \
	"[{\"Dimensions\": {\"InstanceId\": \"i-0def\", \"JobId\": \"7\"}, \"MetricName\": \"rx_bytes_rate\", \"StorageResolution\": 60, \"Timestamp\": $ts.0, \"Unit\": \"Bytes/Second\", \"Value\": 123456.789}, {\"Counts\": [10.0, 3.0, 1.0], \"Dimensions\": {\"JobId\": \"7\"}, \"MetricName\": \"latency\", \"StorageResolution\": 1, \"Timestamp\": $ts.0, \"Unit\": \"Milliseconds\", \"Values\": [0.5, 1.25, 8.0]}]" \
	"both datums recorded exactly, Values and Counts included"
assert_eq "$(sed -n 's/^metrics //p' "$WORK/boto.out")" \
	'[{"Dimensions": [{"Name": "JobId", "Value": "7"}], "MetricName": "latency", "Namespace": "ParallelCluster/Network"}, {"Dimensions": [{"Name": "InstanceId", "Value": "i-0def"}, {"Name": "JobId", "Value": "7"}], "MetricName": "rx_bytes_rate", "Namespace": "ParallelCluster/Network"}]' \
	"ListMetrics with a JobId=7 filter lists exactly the two stored metrics"

# --- 4. dashboards: put, get back the same body, errors -------------------
reset
cat > "$WORK/dash.json" <<-'EOF'
{"start":"-PT3H","widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["ParallelCluster/Network","rx_bytes_rate","InstanceId","i-0abc","Interface","rdmap0s6"]],"view":"timeSeries","stat":"Average","period":60,"region":"us-east-1","title":"RX"}}]}
EOF
cw AKIDFAKE s3cret "" cloudwatch put-dashboard --dashboard-name efa-monitor-test \
	--dashboard-body "file://$WORK/dash.json" --output json > "$WORK/put.json" 2>&1
assert_eq "$?" 0 "aws put-dashboard exits 0"
assert_eq "$(json "$WORK/put.json" 'j')" "{'DashboardValidationMessages': []}" "put-dashboard: no validation messages"
cw AKIDFAKE s3cret "" cloudwatch get-dashboard --dashboard-name efa-monitor-test --output json > "$WORK/get.json" 2>&1
assert_eq "$?" 0 "aws get-dashboard exits 0"
assert_eq "$(json "$WORK/get.json" 'j["DashboardBody"] == open(sys.argv[1].replace("get.json", "dash.json")).read()')" True \
	"get-dashboard returns the body byte for byte"
assert_eq "$(json "$WORK/get.json" '[j["DashboardName"], j["DashboardArn"]]')" \
	"['efa-monitor-test', 'arn:aws:cloudwatch::123456789012:dashboard/efa-monitor-test']" "name and ARN"
assert_eq "$(rec '[(x["action"], x["status"], (x["dashboard"] or {}).get("name")) for x in r]')" \
	'[["PutDashboard", 200, "efa-monitor-test"], ["GetDashboard", 200, null]]' "both recorded, the put with its dashboard"
cw AKIDFAKE s3cret "" cloudwatch get-dashboard --dashboard-name nope > /dev/null 2> "$WORK/err"
assert_eq "$(grep -v '^$' "$WORK/err")" \
	"An error occurred (ResourceNotFound) when calling the GetDashboard operation: Dashboard nope does not exist" \
	"a missing dashboard is ResourceNotFound"
cw AKIDFAKE s3cret "" cloudwatch put-dashboard --dashboard-name bad --dashboard-body '{"widgets":' > /dev/null 2> "$WORK/err"
assert_grep '^An error occurred \(InvalidParameterInput\) when calling the PutDashboard operation: The field DashboardBody must be JSON' \
	"$WORK/err" "a body that is not JSON is InvalidParameterInput"

# --- 5. the fault script drives the CLI's retries -------------------------
reset
script '["throttle","ok"]'
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace ParallelCluster/Network \
	--metric-name rx_bytes_rate --value 1 > /dev/null 2>&1
assert_eq "$?" 0 "throttled once, aws retries and succeeds"
assert_eq "$(rec '[(x["status"], x["error"], x["fault"]) for x in r]')" \
	'[[400, "Throttling", "throttle"], [200, null, "ok"]]' "two requests: Throttling, then accepted"
assert_eq "$(ctl GET /__script)" '{"consumed": 2, "faults_served": 1, "pending": []}' "GET /__script counts the fault"
reset
script '["500","502","ok"]'
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace N --metric-name m --value 1 > /dev/null 2>&1
assert_eq "$?" 0 "500 then 502: aws retries and succeeds"
assert_eq "$(rec '[(x["status"], x["error"]) for x in r]')" \
	'[[500, "InternalServiceError"], [502, "BadGateway"], [200, null]]' "500, 502, 200 recorded"
reset
script '["close","hang:2","ok"]'
cw AKIDFAKE s3cret "" --cli-read-timeout 1 cloudwatch put-metric-data --namespace N --metric-name m --value 1 > /dev/null 2>&1
assert_eq "$?" 0 "a dropped connection, then a hang past the read timeout: aws retries and succeeds"
assert_eq "$(rec '[(x["status"], x["fault"], x["signature_ok"]) for x in r]')" \
	'[[null, "close", true], [null, "hang:2", true], [200, "ok", true]]' "close and hang answer nothing"
reset
script '["throttle","throttle","throttle"]'
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace N --metric-name m --value 1 > /dev/null 2> "$WORK/err"
assert_eq "$(grep -v '^$' "$WORK/err")" \
	"An error occurred (Throttling) when calling the PutMetricData operation (reached max retries: 2): Rate exceeded" \
	"throttled 3 times: aws gives up after 3 attempts"
assert_eq "$(rec 'len(r)')" 3 "3 attempts recorded"

# --- 6. CloudWatch's validation, in the CLI's and botocore's words --------
reset
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace ParallelCluster/Network \
	--metric-name rx_bytes_rate --value NaN > /dev/null 2> "$WORK/err"
assert_eq "$(grep -v '^$' "$WORK/err")" \
	"An error occurred (InvalidParameterValue) when calling the PutMetricData operation: The value NaN for parameter MetricData.member.1.Value is invalid." \
	"a NaN value: aws reports the fake's message"
assert_eq "$(rec '[r[0]["status"], r[0]["datums"][0]["Value"]]')" '[400, "NaN"]' "recorded as 400, the value as \"NaN\""
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace N --metric-name m --value 1 --unit Gbps > /dev/null 2> "$WORK/err"
assert_grep '^An error occurred \(InvalidParameterValue\) when calling the PutMetricData operation: The parameter MetricData.member.1.Unit must be a value in the set \[ Seconds, .*, Count/Second, None \]\.$' \
	"$WORK/err" "an unknown unit"
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace AWS/EC2 --metric-name m --value 1 > /dev/null 2> "$WORK/err"
assert_grep '^An error occurred \(InvalidParameterValue\) .*: The value AWS/EC2 for parameter Namespace is invalid' "$WORK/err" "an AWS/ namespace"
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace N --metric-name m --value 1 \
	--timestamp "$(date -u -d "@$((now - 15 * 86400))" +%Y-%m-%dT%H:%M:%SZ)" > /dev/null 2> "$WORK/err"
assert_grep 'Timestamp must specify a time within the past two weeks\.$' "$WORK/err" "a timestamp 15 days old"
script '["invalid"]'
cw AKIDFAKE s3cret "" cloudwatch put-metric-data --namespace N --metric-name m --value 1 > /dev/null 2> "$WORK/err"
assert_eq "$(grep -v '^$' "$WORK/err")" \
	"An error occurred (InvalidParameterValue) when calling the PutMetricData operation: fault injected: invalid parameter" \
	"the scripted 'invalid' is not retried"
# Limits botocore itself would refuse to send: its validation is off here.
isolated $PY - "$URL" "$ts" > "$WORK/limits.out" 2>&1 <<-'EOF'
import sys, botocore.session
from botocore.config import Config
url, ts = sys.argv[1], int(sys.argv[2])
c = botocore.session.get_session().create_client(
    "cloudwatch", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDFAKE",
    aws_secret_access_key="s3cret", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
def d(**kw):
    return dict({"MetricName": "m", "Value": 1.0}, **kw)
cases = [
    [d() for _ in range(1001)],
    [d(Dimensions=[{"Name": "d%d" % i, "Value": "v"} for i in range(31)])],
    [d(Dimensions=[{"Name": "n", "Value": "v" * 1025}])],
    [{"MetricName": "m", "Values": [1.0] * 151}],
    [{"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]}],
    [d(Values=[1.0])],
    [d(StorageResolution=5)],
    [d(Timestamp=ts + 3 * 3600)],
    [{"MetricName": "m"}],
    [d(), d(Value=float("inf"))],
    [d(Dimensions=[{"Name": "n", "Value": "v" * 1024}]) for _ in range(1000)],
]
for md in cases:
    try:
        c.put_metric_data(Namespace="N", MetricData=md)
        print("accepted")
    except c.exceptions.ClientError as e:
        print(e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"])
    except Exception as e:
        print("exception", repr(e))
EOF
cat > "$WORK/limits.want" <<-'EOF'
InvalidParameterValue: The collection MetricData must not have a size greater than 1000.
InvalidParameterValue: The collection MetricData.member.1.Dimensions must not have a size greater than 30.
InvalidParameterValue: The parameter MetricData.member.1.Dimensions.member.1.Value must be 1 to 1024 characters long.
InvalidParameterValue: The collection MetricData.member.1.Values must not have a size greater than 150.
InvalidParameterValue: The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.
InvalidParameterCombination: The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.
InvalidParameterValue: The value 5 for parameter MetricData.member.1.StorageResolution is invalid: it must be 1 or 60.
InvalidParameterValue: The parameter MetricData.member.1.Timestamp must specify a time no more than two hours in the future.
InvalidParameterCombination: One of the parameters MetricData.member.1.Value, MetricData.member.1.Values or MetricData.member.1.StatisticValues must be specified.
InvalidParameterValue: The value Infinity for parameter MetricData.member.2.Value is invalid.
RequestEntityTooLarge: Request size 1188623 exceeded 1048576 bytes
EOF
diff "$WORK/limits.want" "$WORK/limits.out" >&2 || fail "CloudWatch's limits"
ok "11 limits: >1000 datums, >30 dimensions, long value, >150 values, Counts size, Value+Values, resolution, future, no value, Infinity, > 1 MiB"

# --- 7. a hand-made AWS JSON 1.0 request, gzipped, signed by botocore -----
reset
isolated $PY - "$URL" "$ts" > "$WORK/json.out" 2>&1 <<-'EOF'
import datetime, gzip, http.client, json, sys, urllib.parse, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.retries.standard import ThrottledRetryableChecker
url, ts = sys.argv[1], int(sys.argv[2])

def send(body, extra=None, signed_body=None, age=0):
    """POST body; sign signed_body (default: body), age seconds ago."""
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"}
    headers.update(extra or {})
    req = AWSRequest("POST", url + "/", data=body if signed_body is None else signed_body, headers=headers)
    signer = SigV4Auth(Credentials("AKIDFAKE", "s3cret"), "monitoring", "us-east-1")
    when = datetime.datetime.utcnow() - datetime.timedelta(seconds=age)
    req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    req.headers["X-Amz-Date"] = req.context["timestamp"]
    sts = signer.string_to_sign(req, signer.canonical_request(req))
    signer._inject_signature_to_request(req, signer.signature(sts, req))
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=10)
    conn.request("POST", "/", body=body, headers=dict(req.headers.items()))
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read()

def show(name, status, headers, body):
    print(name, status, headers.get("x-amzn-query-error"), body.decode())

doc = {"Namespace": "ParallelCluster/Network", "MetricData": [
    {"MetricName": "rx_bytes_rate", "Timestamp": ts, "Value": 1.5e9, "Unit": "Bytes/Second", "StorageResolution": 60,
     "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}, {"Name": "Interface", "Value": "rdmap0s6"},
                    {"Name": "JobId", "Value": "42"}]},
    {"MetricName": "rx_pkts_rate", "Timestamp": ts, "Values": [100.0, 200.5], "Counts": [3, 1], "Unit": "Count/Second",
     "StorageResolution": 1, "Dimensions": [{"Name": "JobId", "Value": "42"}]}]}
raw = json.dumps(doc).encode()
gz = gzip.compress(raw)
print("sizes", len(gz), len(raw))
show("gzip", *send(gz, {"Content-Encoding": "gzip"}))
show("signed-uncompressed", *send(gz, {"Content-Encoding": "gzip"}, signed_body=raw))
show("truncated", *send(gz[:-4], {"Content-Encoding": "gzip"}))
show("bomb", *send(gzip.compress(raw + b" " * (1 << 20)), {"Content-Encoding": "gzip"}))
status, headers, body = send(raw, age=20 * 60)
print("old", status, json.loads(body)["message"].split(":")[0])
bad = dict(doc, MetricData=[dict(doc["MetricData"][0], Unit="Gbps")])
status, headers, body = send(json.dumps(bad).encode())
print("invalid", status, headers.get("x-amzn-query-error"), json.loads(body)["__type"])
urllib.request.urlopen(urllib.request.Request(url + "/__script", data=b'["throttle"]', method="POST"))
status, headers, body = send(raw)
parsed = create_parser("json").parse({"status_code": status, "headers": headers, "body": body}, None)
code = parsed["Error"]["Code"]
print("throttle", status, headers.get("x-amzn-query-error"), code,
      "retried-as-throttling" if code in ThrottledRetryableChecker._THROTTLED_ERROR_CODES else "not-throttling")
EOF
[ $? -eq 0 ] || { cat "$WORK/json.out" >&2; fail "the JSON client script"; }
read -r _ gz_bytes raw_bytes < <(grep '^sizes ' "$WORK/json.out")
assert_eq "$(grep '^gzip ' "$WORK/json.out")" "gzip 200 None {}" "JSON 1.0 + gzip: 200 with an empty JSON object"
assert_eq "$(rec '[r[0][k] for k in ("protocol", "action", "status", "signature_ok", "gzip", "body_bytes", "decoded_bytes")]')" \
	"[\"json\", \"PutMetricData\", 200, true, true, $gz_bytes, $raw_bytes]" \
	"recorded as json, gzip, $gz_bytes bytes on the wire, $raw_bytes decoded"
assert_eq "$(rec 'r[0]["datums"]')" \
	"[{\"Dimensions\": {\"InstanceId\": \"i-0abc\", \"Interface\": \"rdmap0s6\", \"JobId\": \"42\"}, \"MetricName\": \"rx_bytes_rate\", \"StorageResolution\": 60, \"Timestamp\": $ts.0, \"Unit\": \"Bytes/Second\", \"Value\": 1500000000.0}, {\"Counts\": [3.0, 1.0], \"Dimensions\": {\"JobId\": \"42\"}, \"MetricName\": \"rx_pkts_rate\", \"StorageResolution\": 1, \"Timestamp\": $ts.0, \"Unit\": \"Count/Second\", \"Values\": [100.0, 200.5]}]" \
	"the gzipped datums decoded exactly"
assert_eq "$(grep '^signed-uncompressed ' "$WORK/json.out" | sed 's/"message": .*/.../')" \
	'signed-uncompressed 403 SignatureDoesNotMatch;Sender {"__type": "com.amazon.coral.service#SignatureDoesNotMatch", ...' \
	"a signature over the uncompressed body is refused, in the JSON error shape"
assert_eq "$(grep '^truncated ' "$WORK/json.out")" \
	'truncated 400 InvalidParameterValue;Sender {"__type": "com.amazonaws.cloudwatch#InvalidParameterValueException", "message": "Truncated gzip body."}' \
	"a truncated gzip body (signed as sent) is InvalidParameterValue"
assert_eq "$(grep '^bomb ' "$WORK/json.out" | sed 's/"__type": .*"message"/.../')" \
	'bomb 413 RequestEntityTooLarge;Sender {...: "Request size (decompressed) exceeded 1048576 bytes"}' \
	"a gzip body over 1 MiB once inflated is RequestEntityTooLarge"
assert_eq "$(grep '^old ' "$WORK/json.out")" "old 403 Signature expired" "an X-Amz-Date 20 minutes old is refused"
assert_eq "$(grep '^invalid ' "$WORK/json.out")" \
	"invalid 400 InvalidParameterValue;Sender com.amazonaws.cloudwatch#InvalidParameterValueException" \
	"JSON validation errors carry __type and x-amzn-query-error"
assert_eq "$(grep '^throttle ' "$WORK/json.out")" "throttle 400 Throttling;Sender Throttling retried-as-throttling" \
	"botocore's JSON parser reads the fake's throttle as Throttling, a code it retries"

# --- the fake itself: quiet, and a clean SIGTERM --------------------------
kill -TERM "$fake"
wait "$fake"
assert_eq "$?" 0 "SIGTERM: the fake exits 0"
assert_eq "$(cat "$WORK/fake.out" "$WORK/fake.err")" "" "nothing on its stdout or stderr"
done_testing
