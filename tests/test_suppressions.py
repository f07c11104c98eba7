"""Inline suppressions and AL901, the finding for one that silences nothing."""

from archlint.config import Settings, apply
from archlint.lint import lint_source, suppressions

# AL206 fires on line 6 (a 1x1 kernel with stride 2), AL201 on line 8 (Dense on a rank-4 tensor).
MODEL = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 16)),
    layers.Conv2D(32, 1, strides=2){six}
    layers.Conv2D(8, 3){seven}
    layers.Dense(4){eight}
])
"""


def findings(six=",", seven=",", eight=",", **settings):
    source = MODEL.format(six=six, seven=seven, eight=eight)
    report = lint_source(source, "model.py", apply(Settings(), settings))
    return [(d.code, d.line, d.message) for d in report.diagnostics]


def codes(**kwargs):
    return [(code, line) for code, line, _ in findings(**kwargs)]


def test_without_comments_both_fire():
    assert codes() == [("AL206", 6), ("AL201", 8)]


def test_used_suppressions_are_quiet():
    assert codes(six=",  # archlint: ignore[AL206]", eight=",  # noqa: AL201") == []
    assert codes(six=",  # archlint: ignore[stride-larger-than-kernel]", eight=",  # archlint: ignore[AL2]") == []
    assert codes(six=",  # archlint: ignore", eight=",  # noqa: E501, AL201") == []


def test_a_bare_noqa_is_left_to_other_linters():
    assert codes(six=",  # noqa", seven=",  # noqa: E501") == [("AL206", 6), ("AL201", 8)]


def test_unused_suppressions_are_al901_at_the_comment():
    found = findings(six=",  # archlint: ignore[AL206]", seven=",  # archlint: ignore[AL201]  # why not")
    assert found == [("AL901", 7, "unused suppression: no AL201 finding on this line to silence"),
                     ("AL201", 8, found[1][2])]
    source = MODEL.format(six=",", seven=",  # noqa: AL205", eight=",")
    (al901,) = [d for d in lint_source(source, "m.py", Settings()).diagnostics if d.code == "AL901"]
    # "    layers.Conv2D(8, 3)," is 24 characters, then two spaces: the 13 characters of the comment span columns 27 to 39.
    assert (al901.line, al901.column, al901.end_line, al901.end_column, al901.severity) == (7, 27, 7, 40, "warning")


def test_partly_used_bare_and_misspelt_suppressions():
    assert findings(six=",  # archlint: ignore[AL206, AL203]")[0][:2] == ("AL901", 6)
    assert "no AL203 finding" in findings(six=",  # archlint: ignore[AL206, AL203]")[0][2]
    assert findings(seven=",  # archlint: ignore")[1][1:] == (
        7, "unused suppression: `# archlint: ignore` silences nothing on this line")
    assert findings(six=",  # archlint: ignore[AL206, strid-larger]")[0][1:] == (
        6, "unused suppression: `strid-larger` is no archlint rule code, prefix or name")


def test_codes_of_rules_that_did_not_run_are_not_judged():
    assert codes(seven=",  # noqa: AL201", select="AL206") == [("AL206", 6)]
    assert codes(seven=",  # noqa: AL201", ignore="AL201") == [("AL206", 6)]
    assert codes(seven=",  # noqa: AL201", **{"per-file-ignores": {"model.py": ["AL2"]}}) == []
    assert codes(seven=",  # noqa: AL401, AL303") == [("AL206", 6), ("AL201", 8)]  # only --verify finds them
    source = MODEL.format(six=",", seven=",  # noqa: AL401", eight=",")
    verified = lint_source(source, "model.py", Settings(verify_budget=2 ** 30)).diagnostics
    assert [(d.code, d.line) for d in verified] == [("AL206", 6), ("AL901", 7), ("AL201", 8)]  # it ran: no mismatch


def test_al901_can_be_kept_quiet():
    assert codes(seven=",  # archlint: ignore[AL201, AL901]") == [("AL206", 6), ("AL201", 8)]
    assert codes(seven=",  # noqa: AL201", ignore="AL901") == [("AL206", 6), ("AL201", 8)]
    assert codes(seven=",  # noqa: AL201", severity={"AL901": "info"}) == [("AL206", 6), ("AL901", 7), ("AL201", 8)]


def test_suppressions_survive_a_syntax_error_below_them():
    found = suppressions("x = 1  # archlint: ignore[AL101]\ndef f(:\n")
    assert list(found) == [1] and found[1].codes == ("AL101",)
