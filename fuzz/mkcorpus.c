/*
 * mkcorpus.c - writes the report, channel and summary seeds of fuzz/corpus
 * with the code that produces them in production: node reports made by
 * node_report_from_snapshots() from efasim trees (fabric_sample() before
 * and after simulated traffic, peaks from a tracker), as
 * node_report_to_json() writes them, and channel frames of those reports
 * signed by channel_frame() with fuzz_channel.c's key.
 *
 * Usage: fuzz/mkcorpus EFASIM TMPDIR OUTDIR ("make fuzz-corpus" runs it
 * into the source tree's fuzz/corpus). Not built by "make".
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "fabric.h"
#include "report.h"
#include "snapshot.h"
#include "tracker.h"

#define SEC 1000000000ull

static const char _key[CHANNEL_KEY_HEX] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char *_efasim, *_tmp, *_out;

static void _die(const char *what)
{
	fprintf(stderr, "mkcorpus: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void _sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void _sh(const char *fmt, ...)
{
	char cmd[1024], args[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", _efasim, args);
	if (system(cmd) != 0) {
		fprintf(stderr, "mkcorpus: failed: %s\n", cmd);
		exit(1);
	}
}

static void _write(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", _out, dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		_die(path);
}

/* A report of 'node' for job 'job' step 'step': an efasim tree of 'shape',
 * sampled, moved by 'traffic' (efasim traffic arguments), sampled again. */
static struct node_report *_report(const char *shape, const char *node, const char *job,
				   const char *step, uint64_t t0, double secs, const char *traffic,
				   const char *health)
{
	char root[4096];
	struct fabric *f;
	struct snapshot *s0 = snapshot_create(), *s1 = snapshot_create();
	struct tracker *t = tracker_create();
	struct node_report *r = node_report_create();

	snprintf(root, sizeof(root), "%s/%s-%s", _tmp, node, step);
	_sh("create %s --shape %s --seed 7 --force", root, shape);
	if (!(f = fabric_create(root)) || !s0 || !s1 || !t || !r)
		_die("fabric_create");
	if (fabric_sample(f, s0) < 0 || tracker_update(t, s0) < 0)
		_die("fabric_sample");
	_sh("traffic %s %s", root, traffic);
	if (health)
		_sh("advance %s %s", root, health);
	if (fabric_sample(f, s1) < 0)
		_die("fabric_sample");
	/* The tracker sees the second sample 'secs' later: its peaks are
	 * what the reporter would have measured. */
	s1->mono_ns = s0->mono_ns + (uint64_t)(secs * 1e9);
	if (tracker_update(t, s1) < 0)
		_die("tracker_update");
	s0->real_ns = t0;
	s1->real_ns = t0 + (uint64_t)(secs * 1e9);
	if (node_report_from_snapshots(r, s0, s1) < 0)
		_die("node_report_from_snapshots");
	node_report_set_peaks(r, t);
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->job_id, sizeof(r->job_id), "%s", job);
	snprintf(r->step_id, sizeof(r->step_id), "%s", step);
	fabric_destroy(f);
	snapshot_destroy(s0);
	snapshot_destroy(s1);
	tracker_destroy(t);
	return r;
}

static struct node_report *_status(const char *node, enum node_status st, const char *msg)
{
	struct node_report *r = node_report_create();

	if (!r)
		_die("node_report_create");
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->job_id, sizeof(r->job_id), "4242");
	snprintf(r->step_id, sizeof(r->step_id), "0");
	r->status = st;
	snprintf(r->status_msg, sizeof(r->status_msg), "%s", msg);
	return r;
}

static char *_json(const struct node_report *r)
{
	char *j = node_report_to_json(r);

	if (!j)
		_die("node_report_to_json");
	return j;
}

int main(int argc, char **argv)
{
	const uint64_t t0 = 1764655200ull * SEC;
	struct node_report *rep[8];
	char *json[8], name[128];
	size_t n = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: mkcorpus EFASIM TMPDIR OUTDIR\n");
		return 2;
	}
	_efasim = argv[1];
	_tmp = argv[2];
	_out = argv[3];

	rep[n++] = _report("p4d", "n1", "4242", "0", t0, 10.0,
			   "--tx-bytes 4000000000 --rx-bytes 12000000000 --tx-pkts 500000 "
			   "--rx-pkts 1500000",
			   "--device rdmap16s28 rx_drops=5 rdma_read_wr_err=1");
	rep[n++] = _report("p4d", "n2", "4242", "0", t0 + SEC / 2, 9.5,
			   "--tx-bytes 4000000000 --rx-bytes 12000000000 --tx-pkts 500000 "
			   "--rx-pkts 1500000",
			   NULL);
	rep[n++] = _report("p4d", "n3", "4242", "0", t0, 10.0,
			   "--tx-bytes 400000000 --rx-bytes 1200000000 --tx-pkts 50000 "
			   "--rx-pkts 150000",
			   NULL);
	rep[n] = _report("mlx5", "gpu-ib-01", "4242", "1", t0 + 20 * SEC, 5.0,
			 "--tx-bytes 8000000000 --rx-bytes 8000000000 --tx-pkts 1000000 "
			 "--rx-pkts 1000000",
			 "port_rcv_errors=2 symbol_error=1");
	rep[n]->stream_interrupted = true;
	snprintf(rep[n++]->stream_msg, REPORT_MSG_MAX, "reporter exited with status 1");
	rep[n++] = _report("efa-old", "n1", "4242", "batch", t0 - 5 * SEC, 30.0,
			   "--tx-bytes 5000000000 --rx-bytes 13000000000", NULL);
	rep[n++] = _status("n5", NODE_NO_DEVICES, "no RDMA device under /sys/class/infiniband");
	rep[n++] = _status("n6", NODE_UNREADABLE, "cannot open /sys: Permission denied");

	for (size_t i = 0; i < n; i++) {
		size_t flen;
		char *frame;

		json[i] = _json(rep[i]);
		snprintf(name, sizeof(name), "%s-%s.json", rep[i]->node, rep[i]->step_id);
		_write("report", name, json[i], strlen(json[i]));
		frame = channel_frame(_key, json[i], strlen(json[i]), &flen);
		if (!frame)
			_die("channel_frame");
		snprintf(name, sizeof(name), "%s-%s.frame", rep[i]->node, rep[i]->step_id);
		_write("channel", name, frame, flen);
		free(frame);
	}

	/* Summaries: one report per line, then the nodes expected. */
	{
		char buf[1 << 16];
		int len;

		len = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%s\n%s\nn1\nn2\nn3\nn4\nn5\nn6\n",
			       json[0], json[1], json[2], json[5], json[6]);
		_write("summary", "step-six-nodes", buf, (size_t)len);
		len = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n", json[4], json[0], json[3]);
		_write("summary", "job-overlapping-steps", buf, (size_t)len);
		len = snprintf(buf, sizeof(buf), "%s\n%s\n", json[0], json[2]);
		_write("summary", "step-straggler", buf, (size_t)len);
	}
	for (size_t i = 0; i < n; i++) {
		free(json[i]);
		node_report_destroy(rep[i]);
	}
	return 0;
}
