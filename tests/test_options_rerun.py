"""gradmle.fit(data, **result.options) runs a fit again, also when the data are censored,
weighted or truncated (the arguments that say so are part of the options), and so do the
options of every remedy of the diagnosis and of a limit fit."""

import json

import numpy as np
import pytest
import scipy.stats as st

import gradmle

rng = np.random.default_rng(1)
T = 1000 * rng.weibull(1.8, 300)
END = rng.uniform(200, 2000, 300)
EVENT = T <= END
X = np.minimum(T, END)
W = rng.integers(1, 4, 300)
ENTRY = np.minimum(rng.uniform(0, 150, 300), 0.9 * X)


@pytest.mark.parametrize("family, kw", [
    ("weibull", {"event": EVENT}),
    ("lognormal", {"event": EVENT, "weights": W}),
    ("gamma", {"weights": W}),
    ("weibull", {"entry": ENTRY, "event": EVENT}),
    ("weibull", {"truncation": (50.0, None)}),
    ("normal", {"weights": W, "method": "gradient", "step": 1e4, "max_iter": 20}),
])
def test_the_options_run_the_same_fit_again(family, kw):
    x = X[X > 50.0] if "truncation" in kw else X
    r = gradmle.fit(x, family=family, **kw)
    assert r.options["family"] == family
    again = gradmle.fit(x, **r.options)
    assert again.params == r.params and again.status == r.status and again.loglik == r.loglik
    text = json.dumps(r.to_dict(trace=False), allow_nan=False)
    for key in ("event", "weights", "entry"):
        if key in kw:
            assert json.loads(text)["options"][key] == f"<{x.size} values>"
    plain = gradmle.fit(x, family=family, **{k: v for k, v in kw.items() if k in ("method", "step", "max_iter")})
    assert plain.params != r.params  # the data arguments matter: dropping them would be another fit


def test_a_censored_data_object():
    cd = st.CensoredData.right_censored(X, ~EVENT)
    r = gradmle.fit(cd, family="weibull")
    assert gradmle.fit(cd, **r.options).params == r.params


def test_remedies_and_limit_fits_keep_the_censoring():
    slow = gradmle.fit(X, family="weibull", event=EVENT, method="gradient", step=0.1, max_iter=50)
    mle = gradmle.fit(X, family="weibull", event=EVENT)
    remedies = slow.diagnosis.remedies
    assert remedies
    for remedy in remedies:
        again = gradmle.fit(X, **remedy.options)
        assert again.converged and again.params == pytest.approx(mle.params, rel=1e-8), remedy.description
    x = np.random.default_rng(2).normal(0, 1, 400)
    ev = np.random.default_rng(3).random(400) < 0.8
    # (max_iter: the censored Student-t's tails are computed up to df = 1e5, where the
    # run waits out its iterations before it is named a boundary)
    t = gradmle.fit(x, family="student_t", event=ev, max_iter=40)
    assert t.status == "boundary" and t.limit_fit.options["family"] == "normal"
    lim = gradmle.fit(x, **t.limit_fit.options)
    assert lim.params == t.limit_fit.params
    assert lim.params != gradmle.fit(x, family="normal").params
