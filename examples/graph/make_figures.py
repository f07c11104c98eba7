"""Redraw the README's diagram: `archlint graph` on a fixture, as SVG through Graphviz's dot.

    python examples/graph/make_figures.py
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIGURES = [
    # (fixture, figure, options): residual blocks in a loop, two AL206 warnings on the strided 1x1 shortcuts
    ("fixtures/models/resnet_residual_blocks.py", "resnet_residual_blocks.svg",
     ["--group", "calls", "--show-shapes", "--show-params"]),
]

for fixture, figure, options in FIGURES:
    command = [sys.executable, "-m", "archlint", "graph", fixture, *options, "-o", os.path.join(HERE, figure)]
    subprocess.run(command, cwd=ROOT, check=True)
    print(f"examples/graph/{figure}")
