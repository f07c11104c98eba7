"""AL401: the NumPy runtime disagrees with the static result."""

from archlint.errors import VerifyMismatch
from archlint.rules import Rule

RULE = Rule(
    code=VerifyMismatch.code,
    name="verify-mismatch",
    severity="error",
    summary="`--verify`: the NumPy runtime disagrees with the static result (shape or parameter count)",
    what="""
        With --verify, archlint allocates each model's weights and runs every layer's NumPy
        forward; this rule fires where the output shape or the parameter count it observes
        differs from what the static analysis computed.
        """,
    why="""
        It means archlint's model of that layer is wrong, so the shapes and counts it reports
        for that model cannot be trusted.
        """,
    fix="""
        Report it to archlint's maintainers with the file: it is a bug in archlint, not in the
        checked model.
        """,
    fires=(),  # only --verify finds it
    passes=(),
)
