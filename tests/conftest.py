"""Settings for every test process and the processes the tests start (Keras runs inherit the environment)."""

import os

# JAX compiles every operation Keras runs eagerly, and the oracle's small layers and models run each once:
# XLA's optimisation passes then cost more than they save (half of a layer comparison's time). The results
# are Keras's own, to rounding.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
