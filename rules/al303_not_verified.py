"""AL303: --verify could not execute a model, or some of its layers."""

from archlint.errors import NotVerified
from archlint.rules import Rule

RULE = Rule(
    code=NotVerified.code,
    name="not-verified",
    severity="info",
    summary="`--verify`: a model, or some of its layers, could not be executed (over the memory budget, a layer "
            "without a NumPy forward, an input size the runtime cannot choose); the static result stands",
    what="""
        With --verify, archlint executes each model with its NumPy runtime. This finding says
        where it could not: a model whose weights and live activations would exceed
        --verify-budget (nothing is allocated then), a custom layer or Lambda whose call the
        runtime cannot execute, an input archlint cannot size (no input shape, or no size for
        its unknown axes that every layer accepts). The model's `verified` is then null.
        """,
    why="""
        The static shapes and parameter counts are still reported; they are only not confirmed
        by execution for that model or those layers.
        """,
    fix="""
        Raise --verify-budget when the model is too large for the default 2 GiB; give the
        input's unknown axes sizes with --input-shape; prefer built-in layers to Lambda where
        they do the same.
        """,
    fires=(),  # only --verify finds it
    passes=(),
)
