"""A layer or model called again (shared): when Keras refuses a later call, the model it was to be part of is not
built, so archlint's is not complete, though the layer's first call and its weights are known. Keras 3.15 was
asked about each source (../shared/tools/keras_truth.py): it raised ValueError for every refused one, and gave the
counts below for the others."""

import pytest

import archlint

HEAD = "import keras\nfrom keras import layers\n"

REFUSED = {
    "a kernel over other channels (AL112)": """
        c = layers.Conv2D(4, 3)
        a = keras.Input((8, 8, 3))
        b = keras.Input((8, 8, 4))
        model = keras.Model([a, b], [c(a), c(b)])
        """,
    "an output size below one (AL101)": """
        c = layers.Conv2D(4, 5)
        a = keras.Input((8, 8, 3))
        b = keras.Input((3, 3, 3))
        model = keras.Model([a, b], [c(a), c(b)])
        """,
    "a nested model on an input its Input does not take (AL111)": """
        i = keras.Input((4,))
        sub = keras.Model(i, layers.Dense(2)(i))
        a = keras.Input((4,))
        b = keras.Input((6,))
        model = keras.Model([a, b], [sub(a), sub(b)])
        """,
}

# Keras's counts: Dense(4) on 20 features, 20 * 4 + 4; Conv2D(4, 3) on 3 channels, 3 * 3 * 3 * 4 + 4.
ACCEPTED = {
    "a Dense on another rank": ("""
        d = layers.Dense(4)
        a = keras.Input((5, 20))
        b = keras.Input((7, 20))
        model = keras.Model([a, b], [d(a), d(b)])
        """, 20 * 4 + 4),
    "a Conv2D on another image size": ("""
        c = layers.Conv2D(4, 3)
        a = keras.Input((8, 8, 3))
        b = keras.Input((16, 12, 3))
        model = keras.Model([a, b], [c(a), c(b)])
        """, 3 * 3 * 3 * 4 + 4),
}


def _model(body: str):
    source = HEAD + "\n".join(line.strip() for line in body.strip().splitlines()) + "\n"
    [file] = archlint.check_source(source, "shared.py", config=False, cache=False).files
    return {model.symbol: model for model in file.models}["model"], file.diagnostics


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_a_model_with_a_refused_shared_call_is_not_complete(body):
    model, diagnostics = _model(body)
    assert not model.complete
    assert any(d.severity == "error" for d in diagnostics)


@pytest.mark.parametrize("body, params", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_shared_call_keras_accepts_leaves_the_model_complete(body, params):
    model, diagnostics = _model(body)
    assert model.complete and model.total_params == params
    assert not any(d.severity == "error" for d in diagnostics)
