/*
 * bench_sample.c - what one sample of a node's counters costs.
 *
 *   bench_sample [-b BATCHES] [-s SIZE] [-w WARMUP] [-o KVFILE] ROOT
 *   bench_sample -l PHASE -k K ROOT
 *
 * The first form times, on the tree at ROOT (a sysfs root: ROOT/class/
 * infiniband/...), BATCHES batches of SIZE calls of each phase below, the
 * phases interleaved batch by batch so that a noisy neighbour hurts them
 * all alike, and prints the median, mean, min and max over batches of the
 * time per call:
 *
 *   sample    fabric_sample(): what the monitor does each interval
 *   floor     one pread(fd, buf, 64, 0) per counter file of the same layout,
 *             on fds opened once: the fewest system calls that read them all
 *   parse     the floor plus sysfs_pread_u64()'s parsing (still no fabric)
 *   relist    rewinddir() + readdir() over <ROOT>/class/infiniband
 *   tracker   tracker_update() on one sample (timestamps moved on)
 *   both      fabric_sample() + tracker_update(): the library's share of
 *             one monitor interval
 *
 * With -o, the figures also go to KVFILE as shell assignments (name=value).
 *
 * The second form sets everything up and then runs K calls of one phase
 * (sample, floor, parse, relist, tracker, both, or none) and exits, for
 * strace -c or perf stat: the difference between a phase and "none",
 * divided by K, is that phase's cost per call.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fabric.h"
#include "layout.h"
#include "log.h"
#include "snapshot.h"
#include "sysfs.h"
#include "tracker.h"

enum phase { P_SAMPLE, P_FLOOR, P_PARSE, P_RELIST, P_TRACKER, P_BOTH, P_COUNT, P_NONE = P_COUNT };

static const char *const _phase_names[P_COUNT + 1] = {
	[P_SAMPLE] = "sample", [P_FLOOR] = "floor",     [P_PARSE] = "parse",
	[P_RELIST] = "relist", [P_TRACKER] = "tracker", [P_BOTH] = "both",
	[P_NONE] = "none",
};

static const char *const _phase_titles[P_COUNT] = {
	[P_SAMPLE] = "fabric_sample()",
	[P_FLOOR] = "floor: pread() per file",
	[P_PARSE] = "floor + parse",
	[P_RELIST] = "class dir re-list",
	[P_TRACKER] = "tracker_update()",
	[P_BOTH] = "sample + tracker",
};

struct bench {
	const char *root;
	struct fabric *fabric;
	struct layout *layout;
	struct snapshot *snap;      /* phase sample */
	struct snapshot *tsnap;     /* phase tracker: one sample, replayed */
	struct snapshot *bsnap;     /* phase both */
	struct tracker *tracker;    /* phase tracker */
	struct tracker *btracker;   /* phase both */
	int *fds;                   /* the floor's files */
	size_t nfds;
	size_t unresolved;          /* counters the floor could not open */
	DIR *class_dir;             /* phase relist */
	uint64_t samples, rescans;  /* fabric_sample() calls, and new layouts seen */
	volatile uint64_t sink;     /* keeps the floor loop honest */
};

static void _die(const char *what)
{
	fprintf(stderr, "bench_sample: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t _now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Open a counter's file the way the floor reads it: try the directories
 * a counter of this port can live in. Returns an fd or -1. */
static int _open_counter(const char *root, const struct layout *l, const struct layout_counter *c)
{
	const char *dev = l->devices[c->device].name;
	char path[4096];
	int fd;

	if (c->port == 0) {
		snprintf(path, sizeof(path), "%s/class/infiniband/%s/hw_counters/%s", root, dev,
			 c->name);
		return open(path, O_RDONLY | O_CLOEXEC);
	}
	static const char *const dirs[] = {"counters", "hw_counters"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/class/infiniband/%s/ports/%u/%s/%s", root, dev,
			 c->port, dirs[i], c->name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	/* Legacy IB: counters_ext/<name>_64. */
	snprintf(path, sizeof(path), "%s/class/infiniband/%s/ports/%u/counters_ext/%s_64", root,
		 dev, c->port, c->name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void _setup(struct bench *b)
{
	struct rlimit rl;
	char path[4096];

	/* Each counter is held open twice (fabric and floor). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	log_set_level(LOG_LEVEL_WARN);
	b->fabric = fabric_create(b->root);
	if (!b->fabric)
		_die(b->root);
	b->snap = snapshot_create();
	b->tsnap = snapshot_create();
	b->bsnap = snapshot_create();
	b->tracker = tracker_create();
	b->btracker = tracker_create();
	if (!b->snap || !b->tsnap || !b->bsnap || !b->tracker || !b->btracker)
		_die("setup");
	if (fabric_sample(b->fabric, b->snap) < 0 || snapshot_copy(b->tsnap, b->snap) < 0)
		_die("fabric_sample");
	b->layout = layout_get(fabric_layout(b->fabric));
	if (b->layout->ncounters == 0) {
		fprintf(stderr, "bench_sample: no counters under %s/class/infiniband\n", b->root);
		exit(1);
	}
	b->fds = calloc(b->layout->ncounters, sizeof(int));
	if (!b->fds)
		_die("setup");
	for (size_t i = 0; i < b->layout->ncounters; i++) {
		const struct layout_counter *c = &b->layout->counters[i];
		if (c->initial_state != COUNTER_OK)
			continue; /* the fabric does not read it through a held fd either */
		int fd = _open_counter(b->root, b->layout, c);
		if (fd < 0) {
			b->unresolved++;
			continue;
		}
		b->fds[b->nfds++] = fd;
	}
	snprintf(path, sizeof(path), "%s/class/infiniband", b->root);
	b->class_dir = opendir(path);
	if (!b->class_dir)
		_die(path);
}

static void _run(struct bench *b, enum phase p, size_t n)
{
	char buf[64];
	uint64_t acc = 0;

	switch (p) {
	case P_SAMPLE:
		for (size_t k = 0; k < n; k++) {
			uint64_t gen = fabric_layout(b->fabric)->generation;
			if (fabric_sample(b->fabric, b->snap) < 0)
				_die("fabric_sample");
			b->rescans += fabric_layout(b->fabric)->generation != gen;
			b->samples++;
		}
		break;
	case P_FLOOR:
		for (size_t k = 0; k < n; k++)
			for (size_t i = 0; i < b->nfds; i++)
				acc += (uint64_t)pread(b->fds[i], buf, sizeof(buf), 0);
		break;
	case P_PARSE:
		for (size_t k = 0; k < n; k++)
			for (size_t i = 0; i < b->nfds; i++) {
				uint64_t v;
				int err;
				acc += sysfs_pread_u64(b->fds[i], &v, &err) + v;
			}
		break;
	case P_RELIST:
		for (size_t k = 0; k < n; k++) {
			struct dirent *e;
			rewinddir(b->class_dir);
			while ((e = readdir(b->class_dir)))
				acc += (uint64_t)e->d_ino;
		}
		break;
	case P_TRACKER:
		for (size_t k = 0; k < n; k++) {
			b->tsnap->mono_ns += 1000000;
			b->tsnap->real_ns += 1000000;
			if (tracker_update(b->tracker, b->tsnap) < 0)
				_die("tracker_update");
		}
		break;
	case P_BOTH:
		for (size_t k = 0; k < n; k++)
			if (fabric_sample(b->fabric, b->bsnap) < 0 ||
			    tracker_update(b->btracker, b->bsnap) < 0)
				_die("sample + tracker");
		break;
	case P_COUNT:
		break;
	}
	b->sink += acc;
}

static int _cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return (a > c) - (a < c);
}

struct stats {
	double median, mean, min, max; /* microseconds per call */
};

static void _stats(double *v, size_t n, struct stats *s)
{
	double sum = 0;
	qsort(v, n, sizeof(*v), _cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s->mean = sum / (double)n;
	s->min = v[0];
	s->max = v[n - 1];
}

static enum phase _parse_phase(const char *s)
{
	for (int p = 0; p <= P_NONE; p++)
		if (strcmp(s, _phase_names[p]) == 0)
			return (enum phase)p;
	fprintf(stderr, "bench_sample: unknown phase '%s'\n", s);
	exit(2);
}

static void _usage(void)
{
	fprintf(stderr,
		"usage: bench_sample [-b BATCHES] [-s SIZE] [-w WARMUP] [-o KVFILE] ROOT\n"
		"       bench_sample -l sample|floor|parse|relist|tracker|both|none -k K ROOT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b;
	size_t batches = 20, size = 100, warmup = 200, loop_k = 0;
	const char *kvfile = NULL;
	enum phase loop = P_COUNT;
	bool looping = false;
	int opt;

	memset(&b, 0, sizeof(b));
	while ((opt = getopt(argc, argv, "b:s:w:o:l:k:h")) != -1) {
		switch (opt) {
		case 'b': batches = strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 'o': kvfile = optarg; break;
		case 'l': loop = _parse_phase(optarg); looping = true; break;
		case 'k': loop_k = strtoul(optarg, NULL, 10); break;
		default: _usage();
		}
	}
	if (optind != argc - 1 || batches == 0 || size == 0)
		_usage();
	b.root = argv[optind];
	_setup(&b);

	if (looping) {
		if (loop != P_NONE)
			_run(&b, loop, loop_k);
		return 0;
	}

	const struct layout *l = b.layout;
	size_t held = 0, efa = 0;
	for (size_t i = 0; i < l->ncounters; i++)
		held += l->counters[i].initial_state == COUNTER_OK;
	for (size_t d = 0; d < l->ndevices; d++)
		efa += l->devices[d].type == DEVICE_EFA;
	/* What each counter is for: the log sink needs the metric feeders every
	 * interval, and the health counters for its health lines. */
	size_t feed = 0, health = 0, traffic = 0, other = 0;
	for (size_t i = 0; i < l->ncounters; i++) {
		const struct counter_desc *d = &l->counters[i].desc;
		if (d->metric != METRIC_NONE)
			feed++;
		else if (d->klass == CLASS_HEALTH)
			health++;
		else if (d->klass == CLASS_TRAFFIC)
			traffic++;
		else
			other++;
	}

	for (int p = 0; p < P_COUNT; p++)
		_run(&b, (enum phase)p, warmup);
	b.samples = b.rescans = 0;

	double *t[P_COUNT];
	for (int p = 0; p < P_COUNT; p++)
		if (!(t[p] = calloc(batches, sizeof(double))))
			_die("calloc");
	for (size_t k = 0; k < batches; k++)
		for (int j = 0; j < P_COUNT; j++) {
			/* Rotate the order so that no phase always follows another. */
			enum phase p = (enum phase)((j + (int)k) % P_COUNT);
			uint64_t t0 = _now_ns();
			_run(&b, p, size);
			uint64_t t1 = _now_ns();
			t[p][k] = (double)(t1 - t0) / (double)size / 1000.0;
		}

	struct stats s[P_COUNT];
	for (int p = 0; p < P_COUNT; p++)
		_stats(t[p], batches, &s[p]);

	printf("tree:     %s\n", b.root);
	printf("layout:   %zu devices (%zu efa, %zu ib), %zu counters: %zu read through held fds, "
	       "%zu absent at scan, %zu fds not held (EMFILE)\n",
	       l->ndevices, efa, l->ndevices - efa, l->ncounters, held, l->ncounters - held,
	       fabric_unheld_count(b.fabric));
	printf("by use:   %zu feed a metric, %zu other health, %zu other traffic, %zu driver/other\n",
	       feed, health, traffic, other);
	printf("floor:    %zu counter files held open (%zu not found)\n", b.nfds, b.unresolved);
	printf("timing:   %zu batches of %zu calls per phase, interleaved, after %zu warm-up calls; "
	       "CLOCK_MONOTONIC\n\n", batches, size, warmup);
	printf("  %-26s %10s %10s %10s %10s   (us per call)\n", "phase", "median", "mean", "min",
	       "max");
	for (int p = 0; p < P_COUNT; p++)
		printf("  %-26s %10.2f %10.2f %10.2f %10.2f\n", _phase_titles[p], s[p].median,
		       s[p].mean, s[p].min, s[p].max);
	double ratio_med = s[P_SAMPLE].median / s[P_FLOOR].median;
	double ratio_mean = s[P_SAMPLE].mean / s[P_FLOOR].mean;
	double ratio_min = s[P_SAMPLE].min / s[P_FLOOR].min;
	printf("\n  fabric_sample / floor:  %.3f (medians), %.3f (means), %.3f (minimums)\n",
	       ratio_med, ratio_mean, ratio_min);
	printf("  rescans:                %llu of %llu timed fabric_sample() calls built a new layout%s\n",
	       (unsigned long long)b.rescans, (unsigned long long)b.samples,
	       b.rescans ? " (the tree did not change: each is a full re-scan)" : "");
	printf("  per counter file:       sample %.1f ns, floor %.1f ns, parse adds %.1f ns\n",
	       s[P_SAMPLE].median * 1000 / (double)held, s[P_FLOOR].median * 1000 / (double)b.nfds,
	       (s[P_PARSE].median - s[P_FLOOR].median) * 1000 / (double)b.nfds);

	if (kvfile) {
		FILE *out = fopen(kvfile, "w");
		if (!out)
			_die(kvfile);
		fprintf(out, "devices=%zu\ncounters=%zu\nheld=%zu\nfloor_files=%zu\nunresolved=%zu\n",
			l->ndevices, l->ncounters, held, b.nfds, b.unresolved);
		fprintf(out, "feed=%zu\nhealth=%zu\ntraffic=%zu\nother=%zu\n", feed, health, traffic,
			other);
		fprintf(out, "batches=%zu\nbatch_size=%zu\n", batches, size);
		for (int p = 0; p < P_COUNT; p++)
			fprintf(out, "%s_median_us=%.3f\n%s_mean_us=%.3f\n%s_min_us=%.3f\n%s_max_us=%.3f\n",
				_phase_names[p], s[p].median, _phase_names[p], s[p].mean,
				_phase_names[p], s[p].min, _phase_names[p], s[p].max);
		fprintf(out, "rescans=%llu\ntimed_samples=%llu\n", (unsigned long long)b.rescans,
			(unsigned long long)b.samples);
		fprintf(out, "ratio_median=%.3f\nratio_mean=%.3f\nratio_min=%.3f\n", ratio_med,
			ratio_mean, ratio_min);
		if (fclose(out) != 0)
			_die(kvfile);
	}

	for (int p = 0; p < P_COUNT; p++)
		free(t[p]);
	for (size_t i = 0; i < b.nfds; i++)
		close(b.fds[i]);
	free(b.fds);
	closedir(b.class_dir);
	layout_put(b.layout);
	tracker_destroy(b.tracker);
	tracker_destroy(b.btracker);
	snapshot_destroy(b.snap);
	snapshot_destroy(b.tsnap);
	snapshot_destroy(b.bsnap);
	fabric_destroy(b.fabric);
	return 0;
}
