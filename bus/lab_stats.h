/* lab_stats - order statistics of samples (latencies, gaps, errors): one
 * definition of a percentile for every figure the lab reports. */
#ifndef LAB_STATS_H
#define LAB_STATS_H

#include <stddef.h>

/* Sorts V ascending. */
void lab_stats_sort (double *v, size_t n);
/* Percentile P (0-100) of SORTED (ascending): linear interpolation between
 * the closest ranks, rank = P/100 x (N - 1) (NumPy's default). NAN when N
 * is 0. */
double lab_stats_percentile (const double *sorted, size_t n, double p);

#endif
