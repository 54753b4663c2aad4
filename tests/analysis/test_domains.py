"""All-domain means agree with one ``analysis.mean`` per domain, and with hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

import analysis
from analysis.calibration import calibrate
from analysis.domains import Domains
from tests.analysis.api_data import numbers, read


def _agree(domains: Domains, y: np.ndarray, **options: object) -> None:
    result = domains.mean(y, missing="exclude")
    for index, label in enumerate(result.labels):
        inside = domains.codes == index
        single = analysis.mean(y, domains.design, domain=inside, missing="exclude", **options)
        assert result.estimate[index] == pytest.approx(single.estimate, rel=1e-12)
        assert result.se[index] == pytest.approx(single.se, rel=1e-9), label
        assert result.ci_low[index] == pytest.approx(single.ci_low, rel=1e-9)
        assert result.n[index] == single.n


def test_stratified_with_fpc_agrees_with_single_domain_estimates() -> None:
    table = read("apistrat")
    design = analysis.Design(numbers(table, "pw"), strata=table["stype"], fpc=numbers(table, "fpc"))
    _agree(Domains(design, table["cname"]), numbers(table, "api00"))
    _agree(Domains(design, table["awards"]), numbers(table, "api99"))


def test_clustered_design_agrees_and_svyby_values_hold() -> None:
    table = read("apiclus1")
    design = analysis.Design(numbers(table, "pw"), psu=table["dnum"], fpc=numbers(table, "fpc"))
    domains = Domains(design, table["stype"])
    _agree(domains, numbers(table, "api00"))
    row = domains.mean(numbers(table, "api00")).row("E")
    assert row["estimate"] == pytest.approx(648.87, abs=0.005)
    assert row["se"] == pytest.approx(22.36, abs=0.005)


def test_missing_values_and_missing_labels_are_left_out() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(50, 10, 200)
    y[::7] = np.nan
    labels = rng.choice(["a", "b", "c"], 200).astype(object)
    labels[::11] = None
    design = analysis.Design(
        rng.uniform(1, 4, 200), strata=np.repeat(["s", "t"], 100), psu=np.repeat(np.arange(40), 5)
    )
    domains = Domains(design, labels)
    assert list(domains.labels) == ["a", "b", "c"]
    _agree(domains, y)
    with pytest.raises(ValueError, match="missing values"):
        domains.mean(y)


@pytest.mark.parametrize("lonely", ["remove", "adjust"])
def test_lonely_psu_conventions_agree(lonely: str) -> None:
    rng = np.random.default_rng(8)
    strata = np.array(["a"] * 6 + ["b"] * 3 + ["c"] * 6)
    psu = np.array([1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 7])
    design = analysis.Design(rng.uniform(1, 3, 15), strata=strata, psu=psu)
    labels = rng.choice(["x", "y"], 15)
    y = rng.normal(size=15)
    _agree(Domains(design, labels, lonely_psu=lonely), y, lonely_psu=lonely)
    with pytest.raises(ValueError, match="single PSU"):
        Domains(design, labels)


def test_poststratified_cells_inside_domains_agree() -> None:
    rng = np.random.default_rng(4)
    units = np.repeat(["u1", "u2", "u3"], 40)
    fields = np.tile(np.repeat(["land", "civil"], 20), 3)
    cells = np.char.add(np.char.add(units, "/"), fields)
    targets = {str(c): float(rng.integers(50, 500)) for c in np.unique(cells)}
    design = calibrate(analysis.Design(np.ones(120)), {"cell": cells}, {"cell": targets})
    _agree(Domains(design, units), rng.normal(70, 15, 120))


def test_raked_design_falls_back_and_agrees() -> None:
    rng = np.random.default_rng(6)
    sex = rng.choice(["f", "m"], 150)
    age = rng.choice(["young", "old"], 150)
    design = calibrate(
        analysis.Design(rng.uniform(1, 2, 150)),
        {"sex": sex, "age": age},
        {"sex": {"f": 520.0, "m": 480.0}, "age": {"young": 300.0, "old": 700.0}},
    )
    _agree(Domains(design, rng.choice(["a", "b"], 150)), rng.normal(size=150))


def test_design_effect_under_simple_random_sampling() -> None:
    """With equal weights and no strata, deff of the whole-sample mean is exactly 1, and for a
    domain of n_d of n rows it is n(n_d − 1)/((n − 1)n_d), from z_i = (y_i − ȳ_d)/n_d."""
    y = np.array([3.0, 5.0, 4.0, 9.0, 1.0, 6.0, 2.0, 8.0])
    whole = Domains(analysis.Design(np.ones(8)), np.repeat("all", 8)).mean(y)
    assert whole.deff[0] == pytest.approx(1.0)
    assert whole.n_eff[0] == pytest.approx(8.0)
    split = Domains(analysis.Design(np.ones(8)), np.array(list("aaabbbbb"))).mean(y)
    assert split.deff[0] == pytest.approx(8 * 2 / (7 * 3))
    assert split.deff[1] == pytest.approx(8 * 4 / (7 * 5))
