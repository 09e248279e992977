/*
 * bench_summary.c - what building a job's summary costs.
 *
 *   bench_summary [NODES IFACES STEPS [BATCHES]]
 *
 * Builds the reports a job of NODES nodes (default 1024) with IFACES
 * interfaces each (default 32) and STEPS steps (default 4) sends to the
 * batch step: every node, every step, windows that overlap the previous
 * step's (so the job-level merge groups them, as for a batch step and its
 * inner sruns), counters that move by different amounts per node. Then,
 * BATCHES times (default 5), adds them all to a job-level summary, prints
 * the summary and writes its JSON, and prints the median and minimum
 * wall time of each part (add, print, JSON, all) over the batches.
 *
 * Then the case issue 9 measured before the summary was n log n: 1, 2, 4
 * and 8 reports of 4096 interfaces for one node (0.25 s, 1.9 s, 11.3 s,
 * 54.7 s before).
 *
 * Reports are built before the clock starts: what is timed is what srun
 * or the batch step does once the reports have arrived.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

#define MAX_BATCHES 101
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

static double _now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int _dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Report of 'node' for 'step', 'nif' interfaces, over [start, start+10 s]. */
static struct node_report *_report(size_t node, size_t step, size_t nif, uint64_t base)
{
	struct node_report *r = node_report_create();

	if (!r || !(r->ifaces = calloc(nif, sizeof(*r->ifaces)))) {
		fprintf(stderr, "bench_summary: out of memory\n");
		exit(1);
	}
	snprintf(r->node, sizeof(r->node), "node-%05zu", node);
	snprintf(r->job_id, sizeof(r->job_id), "4242");
	snprintf(r->step_id, sizeof(r->step_id), "%zu", step);
	r->status = NODE_OK;
	/* Step k over [6k, 6k + 10] s: each overlaps the one before. */
	r->start_ns = T0 + step * 6 * SEC;
	r->end_ns = r->start_ns + 10 * SEC;
	r->samples = 10;
	r->nifaces = nif;
	for (size_t i = 0; i < nif; i++) {
		struct iface_report *f = &r->ifaces[i];
		snprintf(f->name, sizeof(f->name), "rdmap%zus0", i);
		f->type = DEVICE_EFA;
		f->link_bps = 100000000000ull;
		for (int m = 0; m < METRIC_COUNT; m++) {
			uint64_t per_s = (base + i + (uint64_t)m) * 1000;
			f->has |= 1u << m;
			f->start[m] = per_s * 6 * step;
			f->end[m] = f->start[m] + per_s * 10;
			f->total[m] = per_s * 10;
			f->peak_rate[m] = (double)per_s * 1.5;
		}
		r->peak_rate[METRIC_TX_BYTES] += f->peak_rate[METRIC_TX_BYTES];
		r->peak_rate[METRIC_RX_BYTES] += f->peak_rate[METRIC_RX_BYTES];
	}
	return r;
}

struct times {
	double add, print, json, all;
};

/* One batch: add 'n' reports (copies of 'src', taken over), print, JSON. */
static struct times _once(struct node_report **src, size_t n, FILE *sink)
{
	struct step_summary *s = step_summary_create("4242", NULL, true);
	struct times t;
	double t0, t1, t2, t3;
	char *json;

	if (!s)
		exit(1);
	t0 = _now_s();
	for (size_t i = 0; i < n; i++)
		if (step_summary_add(s, src[i]) < 0) {
			fprintf(stderr, "bench_summary: add: %s\n", strerror(errno));
			exit(1);
		}
	t1 = _now_s();
	step_summary_print(s, sink, "efa-monitor: ");
	t2 = _now_s();
	json = step_summary_to_json(s);
	t3 = _now_s();
	if (!json)
		exit(1);
	fputs(json, sink);
	free(json);
	step_summary_destroy(s);
	t = (struct times){t1 - t0, t2 - t1, t3 - t2, t3 - t0};
	return t;
}

static void _run(size_t nodes, size_t nif, size_t steps, int batches, const char *label)
{
	size_t n = nodes * steps;
	struct node_report **src = malloc(n * sizeof(*src));
	double add[MAX_BATCHES], print[MAX_BATCHES], json[MAX_BATCHES], all[MAX_BATCHES];
	FILE *sink = fopen("/dev/null", "w");

	if (!src || !sink)
		exit(1);
	for (int b = 0; b < batches; b++) {
		for (size_t k = 0, i = 0; k < nodes; k++)
			for (size_t st = 0; st < steps; st++)
				src[i++] = _report(k, st, nif, 1000 + k % 97);
		struct times t = _once(src, n, sink);
		add[b] = t.add;
		print[b] = t.print;
		json[b] = t.json;
		all[b] = t.all;
	}
	qsort(add, (size_t)batches, sizeof(double), _dblcmp);
	qsort(print, (size_t)batches, sizeof(double), _dblcmp);
	qsort(json, (size_t)batches, sizeof(double), _dblcmp);
	qsort(all, (size_t)batches, sizeof(double), _dblcmp);
	printf("%-34s %7zu reports %9zu ifaces: add %.3f s, print %.3f s, json %.3f s; "
	       "all %.3f s (min %.3f s)\n",
	       label, n, n * nif, add[batches / 2], print[batches / 2], json[batches / 2],
	       all[batches / 2], all[0]);
	fclose(sink);
	free(src);
}

int main(int argc, char **argv)
{
	size_t nodes = 1024, nif = 32, steps = 4;
	int batches = 5;
	char label[128];

	if (argc >= 4) {
		nodes = strtoul(argv[1], NULL, 10);
		nif = strtoul(argv[2], NULL, 10);
		steps = strtoul(argv[3], NULL, 10);
	}
	if (argc >= 5)
		batches = atoi(argv[4]);
	if (!nodes || !nif || !steps || batches < 1 || batches > MAX_BATCHES || nif > 4096) {
		fprintf(stderr,
			"usage: bench_summary [NODES IFACES STEPS [BATCHES]] (IFACES <= 4096, "
			"BATCHES <= %d)\n",
			MAX_BATCHES);
		return 2;
	}
	printf("job-level summary, median of %d batches (wall time)\n", batches);
	snprintf(label, sizeof(label), "%zu nodes x %zu ifaces x %zu steps", nodes, nif, steps);
	_run(nodes, nif, steps, batches, label);
	for (size_t k = 1; k <= 8; k *= 2) {
		snprintf(label, sizeof(label), "1 node x 4096 ifaces x %zu steps", k);
		_run(1, 4096, k, batches, label);
	}
	return 0;
}
