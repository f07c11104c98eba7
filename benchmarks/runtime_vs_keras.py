"""Times archlint's NumPy runtime (`--verify`) against Keras with the JAX backend on VGG16 and ResNet50.

    python benchmarks/runtime_vs_keras.py [--repeat N] [--models VGG16,ResNet50]

Both run in this process on this machine, at batch 1 and 224x224x3, with the same weights
(Keras's initialisation, copied layer by layer into archlint's model, which is read
statically from the installed Keras's applications source) and the same input. Times are
the forward pass after warm-up, median of N runs, the two alternating; for Keras, the
compiled `predict_on_batch`. Peak memory is tracemalloc's peak while the runtime allocates its
weights and runs one forward, set against the weights plus the two largest activations.
"""

import argparse
import os
import pathlib
import statistics
import time
import tracemalloc

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np

from archlint.analysis import analyze_file
from archlint.runtime import ITEM_BYTES, Execution

MODELS = {"VGG16": "vgg16.py", "ResNet50": "resnet.py"}
MIB = 1024 ** 2


def median_seconds(functions, repeat: int, warmup: int = 2) -> list[float]:
    """Median time of each function; their runs alternate, so that a change in the machine's load hits all alike."""
    for _ in range(warmup):
        for fn in functions:
            fn()
    times = [[] for _ in functions]
    for _ in range(repeat):
        for fn, spent in zip(functions, times):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def archlint_execution(keras, factory: str) -> Execution:
    source = pathlib.Path(keras.__file__).parent / "src" / "applications" / MODELS[factory]
    report = next(m for m in analyze_file(str(source)).models if m.symbol == factory)
    return Execution(report)


def copy_weights(execution: Execution, model) -> None:
    """Keras's weights into archlint's layers, matched by layer name and then in each layer's weight order."""
    for row in execution.report.layers:
        ours = list({id(w): w for _, w in row.layer.all_weights()}.values())
        theirs = model.get_layer(row.name).weights if ours else []
        assert [w.shape for w in ours] == [tuple(w.shape) for w in theirs], row.name
        for mine, real in zip(ours, theirs):
            mine.value = np.array(real.numpy(), dtype=np.float32)
    assert all(w.value is not None for w in execution.weights)


def largest_two_activations(execution: Execution) -> int:
    sizes = sorted((int(np.prod(shape)) for _, outputs in execution.shapes.expected for shape in outputs), reverse=True)
    return sum(sizes[:2]) * ITEM_BYTES


def peak_memory(execution: Execution, x) -> int:
    """tracemalloc's peak over allocating the weights and one forward (NumPy reports its buffers to it)."""
    execution.release()
    tracemalloc.start()
    execution.allocate()
    execution.run([x])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    import jax
    import keras

    print(f"keras {keras.__version__} ({keras.backend.backend()}), jax {jax.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs; batch 1, 224x224x3, median of {args.repeat} after warm-up")
    for factory in args.models.split(","):
        model = getattr(keras.applications, factory)(weights=None)
        execution = archlint_execution(keras, factory)
        copy_weights(execution, model)
        x = np.random.default_rng(0).random((1, 224, 224, 3), dtype=np.float32) * 255

        expected = np.asarray(model.predict_on_batch(x))
        run = execution.run([x])
        assert not run.disagreements and not run.not_run, (run.disagreements, run.not_run)
        got = run.outputs[0]
        error = float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))

        ours, theirs = median_seconds([lambda: execution.run([x]), lambda: model.predict_on_batch(x)], args.repeat)

        peak = peak_memory(execution, x)
        weights = execution.shapes.weight_bytes
        reference = weights + largest_two_activations(execution)
        execution.release()
        print(f"{factory}: NumPy runtime {ours * 1000:.0f} ms, Keras/JAX {theirs * 1000:.0f} ms, "
              f"ratio {ours / theirs:.2f}; max relative difference of the outputs {error:.1e}")
        print(f"{factory}: peak memory {peak / MIB:.0f} MiB; weights {weights / MIB:.0f} MiB + two largest "
              f"activations {(reference - weights) / MIB:.1f} MiB = {reference / MIB:.0f} MiB; ratio "
              f"{peak / reference:.2f} (the --verify budget check estimated {execution.bytes_needed / MIB:.0f} MiB)")


if __name__ == "__main__":
    main()
