"""Families through the command line: --family, --fixed, standard errors, pictures."""

import json

import numpy as np
import scipy.stats as ss

from test_cli import is_picture, one_line_error


def test_gamma_from_a_file_with_standard_errors(cli, tmp_path):
    x = np.random.default_rng(0).gamma(3.0, 2.0, 2000)
    np.save(tmp_path / "g.npy", x)
    p = cli("fit", tmp_path / "g.npy", "--family", "gamma")
    assert p.returncode == 0, p.stderr
    assert "std. error" in p.stdout and "95% confidence interval" in p.stdout
    res = json.loads(cli("fit", tmp_path / "g.npy", "--family", "gamma", "--json").stdout)
    a, _, scale = ss.gamma.fit(x, floc=0)
    assert abs(res["params"]["a"] / a - 1) < 1e-6 and abs(res["params"]["scale"] / scale - 1) < 1e-6


def test_student_t_with_fixed_df_and_a_picture(cli, tmp_path):
    x = ss.t.rvs(5.0, 1.0, 2.0, size=2000, random_state=1)
    np.save(tmp_path / "t.npy", x)
    png = tmp_path / "t.png"
    p = cli("fit", tmp_path / "t.npy", "--family", "t", "--fixed", "df=5", "--plot", png, "--json")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["params"]["df"] == 5.0 and res["options"]["fixed"] == {"df": 5.0}
    is_picture(png)


def test_two_parameter_family_path_picture(cli, tmp_path):
    x = 3.0 * np.random.default_rng(2).weibull(1.5, 3000)
    np.save(tmp_path / "w.npy", x)
    png = tmp_path / "w.png"
    p = cli("fit", tmp_path / "w.npy", "--family", "weibull", "--method", "linesearch", "--init", "c=5,scale=0.5",
            "--plot", png)
    assert p.returncode == 0, p.stderr
    is_picture(png)


def test_support_errors_are_one_line(cli, tmp_path):
    (tmp_path / "neg.csv").write_text("x\n1\n-2\n3\n")
    line = one_line_error(cli("fit", tmp_path / "neg.csv", "--family", "gamma"))
    assert "outside the support" in line and "-2.0" in line
    line = one_line_error(cli("fit", tmp_path / "neg.csv", "--family", "gamma", "--fixed", "shape=1"))
    assert "unknown parameter 'shape'" in line
