import math

import numpy as np
import pytest
from scipy import stats as sps

from mining.reports import stats


def test_reports_stats_wilson_matches_hand_formula():
    # 8 of 10 at 95%: the textbook Wilson interval is (0.4902, 0.9433)
    lo, hi = stats.wilson_interval(8, 10)
    assert float(lo) == pytest.approx(0.49016, abs=1e-4)
    assert float(hi) == pytest.approx(0.94332, abs=1e-4)
    # k = 0: lower bound 0, upper bound z^2 / (n + z^2)
    z2 = 1.959963984540054**2
    lo, hi = stats.wilson_interval(0, 10)
    assert float(lo) == 0.0
    assert float(hi) == pytest.approx(z2 / (10 + z2), rel=1e-9)


def test_reports_stats_wilson_vectorised_and_empty():
    lo, hi = stats.wilson_interval([8, 0, 5], [10, 0, 5], confidence=0.9)
    assert np.isnan(lo[1]) and np.isnan(hi[1])
    assert hi[2] == 1.0 and 0.5 < lo[2] < 1.0
    # a 90% interval is narrower than a 95% one
    lo95, hi95 = stats.wilson_interval(8, 10)
    assert lo[0] > lo95 and hi[0] < hi95


def test_reports_stats_fisher_equals_scipy_and_hypergeometric():
    p = stats.fisher_exact_p(3, 4, 1, 4)  # table [[3, 1], [1, 3]]
    assert p == pytest.approx(sps.fisher_exact([[3, 1], [1, 3]]).pvalue)
    # by hand: hypergeometric probabilities of tables as or less likely than observed (16+16+1+1)/70
    assert p == pytest.approx(34 / 70)
    assert math.isnan(stats.fisher_exact_p(1, 0, 1, 3))
    many = stats.fisher_exact_many([3, 0], [4, 5], [1, 5], [4, 5])
    assert many[0] == pytest.approx(34 / 70)
    assert many[1] == pytest.approx(sps.fisher_exact([[0, 5], [5, 0]]).pvalue)


def test_reports_stats_binomial_exact():
    assert stats.binom_test_p(7, 10, 0.5) == pytest.approx(0.34375)  # 2 * 176/1024
    assert stats.binom_test_p(7, 10, 0.5, "greater") == pytest.approx(176 / 1024)
    assert math.isnan(stats.binom_test_p(0, 0, 0.5))


def test_reports_stats_bh_by_hand():
    q = stats.bh_qvalues([0.01, 0.04, 0.03, 0.005, np.nan])
    # m = 4; sorted 0.005, 0.01, 0.03, 0.04 -> p*m/i = 0.02, 0.02, 0.04, 0.04 (already monotone)
    np.testing.assert_allclose(q[:4], [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(q[4])
    # step-up monotonicity: a larger p-value never gets a smaller q-value
    q2 = stats.bh_qvalues([0.01, 0.02, 0.9])
    np.testing.assert_allclose(q2, [0.03, 0.03, 0.9])
    assert stats.bh_qvalues([0.6, 0.9]).max() <= 1.0


def test_reports_stats_lift_and_rate():
    assert float(stats.lift(0.5, 0.25)) == 2.0
    assert np.isnan(stats.lift(0.5, 0.0))
    np.testing.assert_allclose(stats.rate([1, 0], [4, 0]), [0.25, np.nan])
