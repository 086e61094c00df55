/* lab_stats - sorting and interpolated percentiles. */
#include "bus/lab_stats.h"
#include <math.h>
#include <stdlib.h>

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

void
lab_stats_sort (double *v, size_t n)
{
    if (n > 1)
        qsort (v, n, sizeof (double), s_cmp);
}

double
lab_stats_percentile (const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    if (n == 1)
        return sorted[0];
    double rank = p / 100.0 * (double) (n - 1);
    if (rank <= 0)
        return sorted[0];
    size_t lo = (size_t) floor (rank);
    if (lo >= n - 1)
        return sorted[n - 1];
    double frac = rank - (double) lo;
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}
