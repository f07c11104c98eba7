"""Record what real Keras does with every rule example (the rules' `fires` and `passes` sources).

    KERAS_BACKEND=jax python tests/record_rule_verdicts.py   # writes tests/data/rule_example_verdicts.json

Runs every example with ../shared/tools/keras_truth.py, once, and keeps the error Keras raised (or null) under
the example's digest (the installed Keras and JAX, keras_truth.py and the example's source): tests/test_rules.py
runs Keras again only on a sample and on the examples whose digest is not recorded.
"""
import json
import os
import pathlib
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.test_rules import EXAMPLES, RECORDED_VERDICTS, example_digest, run_keras  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        verdicts = run_keras({(code, kind, index): source for code, kind, index, source in EXAMPLES},
                             pathlib.Path(directory))
    recorded = {example_digest(source): verdicts[(code, kind, index)] for code, kind, index, source in EXAMPLES}
    RECORDED_VERDICTS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")


if __name__ == "__main__":
    main()
