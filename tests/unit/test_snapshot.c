/*
 * test_snapshot.c - layouts (reference counting, lookups) and snapshots
 * (binding, copying, matching counters across layouts).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fabric.h"
#include "layout.h"
#include "snapshot.h"
#include "testutil.h"

/*
 * A hand-built layout: devices "a" (ports 1 and 2) and "b" (port 1), with
 * counters a:1:x a:1:y a:2:x a:0:d b:1:x b:1:y.
 */
static struct layout *_make_layout(uint64_t generation, bool with_b)
{
	struct layout *l = calloc(1, sizeof(*l));
	static const struct {
		size_t dev;
		unsigned port;
		const char *name;
	} cs[] = {{0, 1, "x"}, {0, 1, "y"}, {0, 2, "x"}, {0, 0, "d"}, {1, 1, "x"}, {1, 1, "y"}};

	ck_assert_ptr_nonnull(l);
	l->refs = 1;
	l->generation = generation;
	l->ndevices = with_b ? 2 : 1;
	l->devices = calloc(2, sizeof(*l->devices));
	ck_assert_ptr_nonnull(l->devices);
	strcpy(l->devices[0].name, "a");
	l->devices[0].nports = 2;
	l->devices[0].ports = calloc(2, sizeof(struct layout_port));
	l->devices[0].ports[0].num = 1;
	l->devices[0].ports[1].num = 2;
	l->devices[0].link_bps = 200000000000ull;
	l->devices[0].first_counter = 0;
	l->devices[0].ncounters = 4;
	strcpy(l->devices[1].name, "b");
	l->devices[1].nports = 1;
	if (with_b) { /* layout_put() frees the ports of ndevices only */
		l->devices[1].ports = calloc(1, sizeof(struct layout_port));
		l->devices[1].ports[0].num = 1;
	}
	l->devices[1].link_bps = 100000000000ull;
	l->devices[1].first_counter = 4;
	l->devices[1].ncounters = 2;
	l->ncounters = with_b ? 6 : 4;
	l->counters = calloc(6, sizeof(*l->counters));
	ck_assert_ptr_nonnull(l->counters);
	for (size_t i = 0; i < l->ncounters; i++) {
		l->counters[i].device = cs[i].dev;
		l->counters[i].port = cs[i].port;
		strcpy(l->counters[i].name, cs[i].name);
		l->counters[i].desc.multiplier = 1;
		l->counters[i].desc.metric = METRIC_NONE;
	}
	return l;
}

/* ----------------------------------------------------------- layout -- */

START_TEST(test_layout_refs)
{
	struct layout *l = _make_layout(1, true);

	ck_assert_ptr_eq(layout_get(l), l);
	ck_assert_uint_eq(l->refs, 2);
	layout_put(l);
	ck_assert_uint_eq(l->refs, 1);
	ck_assert_ptr_null(layout_get(NULL));
	layout_put(NULL);
	layout_put(l); /* freed: valgrind checks */
}
END_TEST

START_TEST(test_layout_find)
{
	struct layout *l = _make_layout(1, true);

	ck_assert_int_eq(layout_find_device(l, "a"), 0);
	ck_assert_int_eq(layout_find_device(l, "b"), 1);
	ck_assert_int_eq(layout_find_device(l, "c"), -1);
	ck_assert_int_eq(layout_find_device(l, ""), -1);
	ck_assert_int_eq(layout_find_counter(l, "a", 1, "x"), 0);
	ck_assert_int_eq(layout_find_counter(l, "a", 1, "y"), 1);
	ck_assert_int_eq(layout_find_counter(l, "a", 2, "x"), 2);
	ck_assert_int_eq(layout_find_counter(l, "a", 0, "d"), 3);
	ck_assert_int_eq(layout_find_counter(l, "b", 1, "x"), 4);
	ck_assert_int_eq(layout_find_counter(l, "b", 1, "y"), 5);
	/* Port and device both matter. */
	ck_assert_int_eq(layout_find_counter(l, "a", 2, "y"), -1);
	ck_assert_int_eq(layout_find_counter(l, "a", 1, "d"), -1);
	ck_assert_int_eq(layout_find_counter(l, "b", 0, "d"), -1);
	ck_assert_int_eq(layout_find_counter(l, "c", 1, "x"), -1);
	ck_assert_uint_eq(layout_device_link_bps(l, 0), 200000000000ull);
	ck_assert_uint_eq(layout_device_link_bps(l, 1), 100000000000ull);
	ck_assert_uint_eq(layout_device_link_bps(l, 2), 0);
	layout_put(l);
}
END_TEST

/* --------------------------------------------------------- snapshot -- */

START_TEST(test_snapshot_holds_layout)
{
	struct layout *l = _make_layout(1, true);
	struct snapshot *s = snapshot_create();

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(s->layout);
	ck_assert_int_eq(snapshot_bind(s, l), 0);
	ck_assert_ptr_eq(s->layout, l);
	ck_assert_uint_eq(l->refs, 2);
	ck_assert_uint_ge(s->capacity, 6);
	/* Binding again to the same layout takes no second reference. */
	ck_assert_int_eq(snapshot_bind(s, l), 0);
	ck_assert_uint_eq(l->refs, 2);
	/* The creator lets go; the snapshot keeps it alive and readable. */
	layout_put(l);
	ck_assert_uint_eq(s->layout->refs, 1);
	for (size_t i = 0; i < 6; i++) {
		s->values[i] = 100 + i;
		s->states[i] = COUNTER_OK;
	}
	ck_assert_str_eq(s->layout->devices[1].name, "b");
	ck_assert_str_eq(s->layout->counters[5].name, "y");
	snapshot_destroy(s); /* drops the last reference */
	snapshot_destroy(NULL);
}
END_TEST

START_TEST(test_snapshot_rebind)
{
	struct layout *small = _make_layout(1, false);
	struct layout *big = _make_layout(2, true);
	struct snapshot *s = snapshot_create();

	ck_assert_int_eq(snapshot_bind(s, small), 0);
	ck_assert_uint_eq(small->refs, 2);
	ck_assert_uint_ge(s->capacity, 4);
	ck_assert_int_eq(snapshot_bind(s, big), 0);
	ck_assert_uint_eq(small->refs, 1);
	ck_assert_uint_eq(big->refs, 2);
	ck_assert_uint_ge(s->capacity, 6);
	for (size_t i = 0; i < 6; i++)
		s->values[i] = i;
	/* Back to the smaller one: room is kept, nothing lost. */
	ck_assert_int_eq(snapshot_bind(s, small), 0);
	ck_assert_uint_ge(s->capacity, 6);
	ck_assert_uint_eq(big->refs, 1);
	snapshot_destroy(s);
	ck_assert_uint_eq(small->refs, 1);
	layout_put(small);
	layout_put(big);
}
END_TEST

START_TEST(test_snapshot_copy)
{
	struct layout *l = _make_layout(7, true);
	struct layout *other = _make_layout(8, false);
	struct snapshot *src = snapshot_create(), *dst = snapshot_create();

	ck_assert_int_eq(snapshot_bind(src, l), 0);
	for (size_t i = 0; i < 6; i++) {
		src->values[i] = (i + 1) * 1000;
		src->states[i] = (uint8_t)(i % COUNTER_STATE_COUNT);
	}
	src->mono_ns = 123456789;
	src->real_ns = 987654321;
	ck_assert_int_eq(snapshot_bind(dst, other), 0);
	ck_assert_int_eq(snapshot_copy(dst, src), 0);
	ck_assert_ptr_eq(dst->layout, l);
	ck_assert_uint_eq(l->refs, 3);
	ck_assert_uint_eq(other->refs, 1);
	ck_assert_uint_eq(dst->mono_ns, 123456789);
	ck_assert_uint_eq(dst->real_ns, 987654321);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_uint_eq(dst->values[i], (i + 1) * 1000);
		ck_assert_uint_eq(dst->states[i], i % COUNTER_STATE_COUNT);
	}
	/* A deep copy: changing the source does not change the copy. */
	src->values[0] = 1;
	ck_assert_uint_eq(dst->values[0], 1000);
	snapshot_destroy(src);
	ck_assert_uint_eq(l->refs, 2);
	ck_assert_uint_eq(dst->values[5], 6000);

	/* An unbound source cannot be copied. */
	struct snapshot *empty = snapshot_create();
	errno = 0;
	ck_assert_int_eq(snapshot_copy(dst, empty), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_eq(dst->layout, l);
	snapshot_destroy(empty);
	snapshot_destroy(dst);
	layout_put(l);
	layout_put(other);
}
END_TEST

START_TEST(test_match_hand_layouts)
{
	struct layout *l1 = _make_layout(1, true);
	struct layout *l2 = calloc(1, sizeof(*l2));
	struct snapshot *s1 = snapshot_create(), *s2 = snapshot_create(), *s0 = snapshot_create();

	/* l2: device "b" first, then "a" with fewer counters, in another order. */
	l2->refs = 1;
	l2->generation = 2;
	l2->ndevices = 2;
	l2->devices = calloc(2, sizeof(*l2->devices));
	strcpy(l2->devices[0].name, "b");
	l2->devices[0].first_counter = 0;
	l2->devices[0].ncounters = 2;
	strcpy(l2->devices[1].name, "a");
	l2->devices[1].first_counter = 2;
	l2->devices[1].ncounters = 2;
	l2->ncounters = 4;
	l2->counters = calloc(4, sizeof(*l2->counters));
	const struct {
		size_t dev;
		unsigned port;
		const char *name;
	} cs[] = {{0, 1, "y"}, {0, 1, "x"}, {1, 2, "x"}, {1, 1, "x"}};
	for (size_t i = 0; i < 4; i++) {
		l2->counters[i].device = cs[i].dev;
		l2->counters[i].port = cs[i].port;
		strcpy(l2->counters[i].name, cs[i].name);
	}
	ck_assert_int_eq(snapshot_bind(s1, l1), 0);
	ck_assert_int_eq(snapshot_bind(s2, l2), 0);

	/* Same layout: same index. */
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(snapshot_match(s1, i, s1), (long)i);
	/* l1 -> l2: a:1:x a:1:y a:2:x a:0:d b:1:x b:1:y */
	static const long want12[] = {3, -1, 2, -1, 1, 0};
	for (size_t i = 0; i < 6; i++)
		ck_assert_msg(snapshot_match(s1, i, s2) == want12[i], "l1[%zu] -> %ld, want %ld",
			      i, snapshot_match(s1, i, s2), want12[i]);
	/* l2 -> l1 */
	static const long want21[] = {5, 4, 2, 0};
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(snapshot_match(s2, i, s1), want21[i]);
	/* Out of range, unbound. */
	ck_assert_int_eq(snapshot_match(s1, 6, s2), -1);
	ck_assert_int_eq(snapshot_match(s1, 0, s0), -1);
	ck_assert_int_eq(snapshot_match(s0, 0, s1), -1);
	snapshot_destroy(s0);
	snapshot_destroy(s1);
	snapshot_destroy(s2);
	layout_put(l1);
	layout_put(l2);
}
END_TEST

/* ------------------------------------------- layouts from real scans -- */

static char *_root;

static void _setup(void)
{
	_root = tu_mkdtemp("snap");
	tu_log_capture();
}

static void _teardown(void)
{
	tu_log_restore();
	tu_rm_rf(_root);
	free(_root);
	_root = NULL;
}

/* A rescan after `efasim remove`: every counter of the old snapshot maps
 * to the same (device, port, name) in the new one, except the removed
 * device's, which map to -1; the old snapshot stays readable. */
START_TEST(test_match_after_remove)
{
	struct fabric *f;
	struct snapshot *s1 = snapshot_create(), *s2 = snapshot_create();

	tu_efasim("create %s --shape p4d", _root);
	tu_efasim("traffic %s --tx-bytes 1000 --rx-bytes 2000", _root);
	f = fabric_create(_root);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fabric_sample(f, s1), 0);
	ck_assert_uint_eq(s1->layout->ndevices, 4);
	tu_efasim("remove %s rdmap16s28", _root);
	ck_assert_int_eq(fabric_sample(f, s2), 0);
	ck_assert_ptr_ne(s1->layout, s2->layout);
	ck_assert_uint_eq(s2->layout->ndevices, 3);

	size_t matched = 0, gone = 0;
	for (size_t i = 0; i < s1->layout->ncounters; i++) {
		const struct layout_counter *c = &s1->layout->counters[i];
		const char *dev = s1->layout->devices[c->device].name;
		long j = snapshot_match(s1, i, s2);
		if (strcmp(dev, "rdmap16s28") == 0) {
			ck_assert_int_eq(j, -1);
			gone++;
			continue;
		}
		ck_assert_msg(j >= 0, "%s %u %s not matched", dev, c->port, c->name);
		const struct layout_counter *d = &s2->layout->counters[j];
		ck_assert_str_eq(s2->layout->devices[d->device].name, dev);
		ck_assert_uint_eq(d->port, c->port);
		ck_assert_str_eq(d->name, c->name);
		ck_assert_uint_eq(s2->values[j], s1->values[i]);
		/* And back. */
		ck_assert_int_eq(snapshot_match(s2, (size_t)j, s1), (long)i);
		matched++;
	}
	ck_assert_uint_gt(gone, 0);
	ck_assert_uint_eq(matched + gone, s1->layout->ncounters);
	ck_assert_uint_eq(matched, s2->layout->ncounters);

	/* The old snapshot outlives the fabric and its layout. */
	fabric_destroy(f);
	long d = layout_find_device(s1->layout, "rdmap16s28");
	ck_assert_int_ge(d, 0);
	long tx = layout_find_counter(s1->layout, "rdmap16s28", 1, "tx_bytes");
	ck_assert_int_ge(tx, 0);
	ck_assert_uint_eq(s1->values[tx], 1000);
	snapshot_destroy(s1);
	snapshot_destroy(s2);
}
END_TEST

/* Two fabrics on two trees: separate layouts, matched by name. */
START_TEST(test_match_two_trees)
{
	char *a = tu_strf("%s/a", _root), *b = tu_strf("%s/b", _root);
	struct fabric *fa, *fb;
	struct snapshot *sa = snapshot_create(), *sb = snapshot_create();

	tu_efasim("create %s --shape p4d", a);
	tu_efasim("create %s --shape p4d --kernel 5.15", b);
	tu_efasim("traffic %s --tx-bytes 100", a);
	tu_efasim("traffic %s --tx-bytes 300", b);
	fa = fabric_create(a);
	fb = fabric_create(b);
	ck_assert_ptr_nonnull(fa);
	ck_assert_ptr_nonnull(fb);
	ck_assert_int_eq(fabric_sample(fa, sa), 0);
	ck_assert_int_eq(fabric_sample(fb, sb), 0);
	ck_assert_uint_ne(sa->layout->generation, sb->layout->generation);

	long ia = layout_find_counter(sa->layout, "rdmap32s27", 1, "tx_bytes");
	ck_assert_int_ge(ia, 0);
	long ib = snapshot_match(sa, (size_t)ia, sb);
	ck_assert_int_ge(ib, 0);
	ck_assert_uint_eq(sa->values[ia], 100);
	ck_assert_uint_eq(sb->values[ib], 300);
	/* 6.6 has RDMA write, 5.15 does not. */
	long wa = layout_find_counter(sa->layout, "rdmap32s27", 1, "rdma_write_bytes");
	ck_assert_int_ge(wa, 0);
	ck_assert_int_eq(snapshot_match(sa, (size_t)wa, sb), -1);
	fabric_destroy(fa);
	fabric_destroy(fb);
	snapshot_destroy(sa);
	snapshot_destroy(sb);
	free(a);
	free(b);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc;

	tc = tcase_create("layout");
	tcase_add_test(tc, test_layout_refs);
	tcase_add_test(tc, test_layout_find);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapshot");
	tcase_add_test(tc, test_snapshot_holds_layout);
	tcase_add_test(tc, test_snapshot_rebind);
	tcase_add_test(tc, test_snapshot_copy);
	tcase_add_test(tc, test_match_hand_layouts);
	suite_add_tcase(s, tc);

	tc = tcase_create("scanned");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_match_after_remove);
	tcase_add_test(tc, test_match_two_trees);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}
