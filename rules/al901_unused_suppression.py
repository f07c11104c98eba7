"""AL901: a suppression comment that silences nothing (as ruff's RUF100)."""

from archlint.errors import NotVerified
from archlint.graph import Position
from archlint.rules import Rule, all_rules, finding

# Found only by --verify: without it, whether a suppression of them is used cannot be told.
FOUND_BY_VERIFY = (NotVerified.code, "AL4")


def unused_suppressions(suppressions, settings, path: str) -> list:
    """An AL901 for each suppression comment with a code that silenced nothing on its line (after the
    file's findings went through them), or that names no rule. Codes whose rules did not run here
    (not selected for the file, or found only by --verify when it is off) are not judged."""
    if not settings.selected(RULE.code, path):
        return []
    verified = settings.verify_budget is not None
    judged = [rule.code for rule in all_rules()
              if settings.selected(rule.code, path) and (verified or not rule.code.startswith(FOUND_BY_VERIFY))]
    found = []
    for suppression in suppressions:
        if any(code and RULE.code.startswith(code) for code in suppression.codes):
            continue  # kept on purpose: the comment names AL901 itself
        if suppression.codes == ("",):
            problems = [] if suppression.used else ["`# archlint: ignore` silences nothing on this line"]
        else:
            idle = [code for code in suppression.codes if code not in suppression.used
                    and any(judged_code.startswith(code) for judged_code in judged)]
            problems = [f"no {' or '.join(idle)} finding on this line to silence"] if idle else []
        problems += [f"`{name}` is no archlint rule code, prefix or name" for name in suppression.unknown]
        if problems:
            where = Position(suppression.line, suppression.column, suppression.line, suppression.end_column)
            found.append(finding(RULE.code, f"unused suppression: {'; '.join(problems)}", where, None))
    return found


RULE = Rule(
    code="AL901",
    name="unused-suppression",
    severity="warning",
    summary="a `# archlint: ignore[...]` or `# noqa: AL...` comment silences nothing on its line",
    what="""
        A suppression comment on a line where none of the codes it names has a finding, a bare
        `# archlint: ignore` on a line without findings, or a name in `ignore[...]` that is no
        rule. Codes of rules that did not run on the file (not selected, or ignored for it)
        are not judged, nor those only --verify finds when it is off.
        """,
    why="""
        A stale suppression still silences its rule on that line: when the line changes, a new
        real finding there goes unseen. It usually outlives a fix or a refactoring that moved
        the layer, and a misspelt code silences nothing at all. A warning, so that it fails the
        hook like the finding it once hid, and not an error, as the model itself is fine.
        """,
    fix="""
        Delete the comment (or the codes in it that silence nothing). To keep one on purpose,
        add AL901 to it: `# archlint: ignore[AL206, AL901]`.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(16, 3, strides=2),  # archlint: ignore[AL206]  # AL901
            layers.GlobalAveragePooling2D(),
            layers.Dense(10),  # noqa: AL201  # AL901
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Flatten(),  # archlint: ignore  # AL901
            layers.Dense(10),  # archlint: ignore[dense-on-spatial]  # AL901
        ])
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 16)),
            layers.Conv2D(32, 1, strides=2),  # archlint: ignore[AL206]
            layers.GlobalAveragePooling2D(),
            layers.Dense(10),  # noqa: E501 (for another linter)
        ])
        """,),
)
