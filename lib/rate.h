/*
 * rate.h - the arithmetic of counters: deltas that survive resets, rates,
 * and unit conversions. Kept apart so every figure a test checks has one
 * definition.
 */
#ifndef EFA_MONITOR_RATE_H
#define EFA_MONITOR_RATE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The increase of a cumulative counter from 'prev' to 'cur'. A decrease
 * is a reset (driver reload, device reset): the counter is taken to have
 * restarted from zero, so the delta is 'cur' and '*reset' is set. Never
 * negative, never a 2^64-sized wrap.
 */
uint64_t counter_delta(uint64_t prev, uint64_t cur, bool *reset);

/* 'delta' per second over 'ns' nanoseconds; 0 when ns is 0. */
double rate_per_sec(uint64_t delta, uint64_t ns);

/* Bytes per second to gigabits (1e9 bits) and megabits (1e6) per second. */
double rate_gbps(double bytes_per_sec);
double rate_mbps(double bytes_per_sec);

/* Percent of the line rate 'link_bps' (bits/s) that 'bytes_per_sec' uses;
 * 0 when the line rate is unknown. */
double rate_line_pct(double bytes_per_sec, uint64_t link_bps);

/* Saturating sum: totals never wrap. */
uint64_t rate_add_sat(uint64_t a, uint64_t b);

/* Saturating product, for raw × multiplier. */
uint64_t rate_mul_sat(uint64_t a, uint64_t b);

#endif
