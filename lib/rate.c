/*
 * rate.c - see rate.h.
 */
#include "config.h"

#include "rate.h"

uint64_t counter_delta(uint64_t prev, uint64_t cur, bool *reset)
{
	if (cur >= prev) {
		*reset = false;
		return cur - prev;
	}
	*reset = true;
	return cur;
}

double rate_per_sec(uint64_t delta, uint64_t ns)
{
	return ns ? (double)delta * 1e9 / (double)ns : 0.0;
}

double rate_gbps(double bytes_per_sec)
{
	return bytes_per_sec * 8.0 / 1e9;
}

double rate_mbps(double bytes_per_sec)
{
	return bytes_per_sec * 8.0 / 1e6;
}

double rate_line_pct(double bytes_per_sec, uint64_t link_bps)
{
	return link_bps ? bytes_per_sec * 8.0 * 100.0 / (double)link_bps : 0.0;
}

uint64_t rate_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t rate_mul_sat(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}
