# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The booster's trees, compiled: P(content) of each row of a feature matrix, as LightGBM's
`Booster.predict` gives it for a binary model of numerical splits, bit for bit (the same sums
in the same order, and the C library's exp).

LightGBM builds a list of the non-zero features of each row before it walks the trees; this
walks them straight over the row: 1.7 times as fast on a page's few hundred rows. The trees are
the arrays of `model.flat_forest`: a child below 0 is the leaf ~child.
"""

import numpy as np

from libc.math cimport exp, isnan

# LightGBM's MissingType and kZeroThreshold (a float constant, read as a double).
cdef enum:
    MISSING_NONE = 0
    MISSING_ZERO = 1
    MISSING_NAN = 2
cdef double ZERO_THRESHOLD = <double>(<float>1e-35)


cdef inline int next_node(double value, int node, const double[::1] threshold, const signed char[::1] missing,
                          const signed char[::1] default_left, const int[::1] left, const int[::1] right) noexcept nogil:
    """LightGBM's Tree::NumericalDecision."""
    cdef int missing_type = missing[node]
    if isnan(value) and missing_type != MISSING_NAN:
        value = 0.0
    if (missing_type == MISSING_ZERO and -ZERO_THRESHOLD <= value <= ZERO_THRESHOLD) or (missing_type == MISSING_NAN and isnan(value)):
        return left[node] if default_left[node] else right[node]
    return left[node] if value <= threshold[node] else right[node]


def probabilities(const double[:, ::1] X, double sigmoid, const int[::1] roots, const int[::1] feature,
                  const double[::1] threshold, const signed char[::1] missing, const signed char[::1] default_left,
                  const int[::1] left, const int[::1] right, const double[::1] leaf_value):
    """P(content) of each row of X: the sum of its leaves' values, tree by tree, through the sigmoid."""
    cdef Py_ssize_t n = X.shape[0], row, tree, n_trees = roots.shape[0]
    cdef int node
    cdef double total
    out = np.empty(n)
    cdef double[::1] p = out
    with nogil:
        for row in range(n):
            total = 0.0
            for tree in range(n_trees):
                node = roots[tree]
                while node >= 0:
                    node = next_node(X[row, feature[node]], node, threshold, missing, default_left, left, right)
                total += leaf_value[~node]
            p[row] = 1.0 / (1.0 + exp(-sigmoid * total))
    return out
