"""Build a real-code corpus from its manifest: each file's text at its commit, trimmed to what Keras runs here.

Usage:  KERAS_BACKEND=jax python benchmarks/corpus/make_corpus.py benchmarks/corpus/NAME.json [FILE...]
            [--mirror DIR] [--truth PATH/keras_truth.py] [--statement-seconds N]

For each manifest entry (repository, path, commit, file, support files it imports, relative to the
repository's folder `root` the author runs the program from when it is not the top, and placed beside the
file: a file named DIR/FILE keeps a repository's modules apart from another's), the text comes from
a git snapshot at MIRROR/<owner>+<name>/repo (or its .git; a notebook's code cells joined, IPython lines made `pass`)
into corpus/NAME/src/FILE; it is then run statement by statement under Keras 3 (JAX): statements that
train, plot or save, and those that fail here (no network: downloads fail; modules not installed), are
dropped, and corpus/NAME/FILE keeps the rest (the statements of an `if __name__ == "__main__":` block each on
its own, under the block's line). Since nothing can be downloaded, keras.datasets loaders give zeros in
the shapes and dtypes Keras documents, and keras.applications keep their initial weights; TensorFlow names
tutorials use around models (tf.random.set_seed, tf.random_normal_initializer, tf.float32, ...) get their
Keras 3 equivalents. keras_truth.py
--factories on that file gives corpus/NAME/FILE.keras.json, and the manifest records each dropped statement
("trimmed").
The corpus folder is git-ignored: third-party code is never committed.
"""
import argparse
import ast
import json
import os
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# Cell magics whose cell is not Python (a shell script, a file written out, HTML): every line becomes `pass`.
FOREIGN_CELLS = ("%%bash", "%%sh", "%%shell", "%%script", "%%writefile", "%%html", "%%javascript", "%%js",
                 "%%latex", "%%markdown", "%%svg", "%%perl", "%%ruby")


def source_of(git_dir, commit, path):
    raw = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"], check=True,
                         capture_output=True).stdout.decode()
    if not path.endswith(".ipynb"):
        return raw
    cells = []
    for cell in json.loads(raw)["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        foreign = text.lstrip().startswith(FOREIGN_CELLS)
        lines, continued, indent = [], False, ""
        for line in text.splitlines():
            stripped = line.lstrip()
            if foreign or continued:  # not Python, or a shell line's continuation
                line = ("" if foreign else indent) + "pass  # " + stripped
                continued = continued and line.endswith("\\")
            elif stripped.startswith(("%", "!")) or "get_ipython" in line:
                indent = line[: len(line) - len(stripped)]
                line = indent + "pass  # " + stripped
                continued = stripped.startswith("!") and line.endswith("\\")
            lines.append(line)
        cells.append("\n".join(lines))
    return "\n\n".join(cells) + "\n"


SKIP = (".fit(", ".fit_generator(", ".evaluate(", ".predict(", "plt.", ".save(", "load_model(",
        "load_weights(", ".train_on_batch(", "tfds.", "plot_model(", "input(", "display(", "tensorboard",
        ".save_weights(", "save_model(", "export(")


class Timeout(Exception):
    """A statement that runs too long here (a training loop) is dropped."""


def on_alarm(*_):
    raise Timeout()


def standin_datasets(keras):
    """No network here: keras.datasets loaders give zeros in the shapes and dtypes Keras documents."""
    import numpy as np
    import keras.datasets as ds

    def images(n_train, n_test, shape, label_shape=()):
        def load_data(*_a, **_k):
            return ((np.zeros((n_train,) + shape, "uint8"), np.zeros((n_train,) + label_shape, "uint8")),
                    (np.zeros((n_test,) + shape, "uint8"), np.zeros((n_test,) + label_shape, "uint8")))
        return load_data

    def sequences(total, train_split_of):
        def load_data(*_a, num_words=None, test_split=0.2, maxlen=None, **_k):
            n_train = train_split_of(total, test_split)
            seqs = [[1] * (20 + i % 50) for i in range(total)]
            x = np.empty(total, dtype="object")
            x[:] = seqs
            y = np.zeros(total, "int64")
            return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
        return load_data

    def table(total, features, dtype):
        def load_data(*_a, test_split=0.2, **_k):
            x, y = np.zeros((total, features), dtype), np.zeros((total,), dtype)
            cut = int(total * (1 - test_split))
            return (x[:cut], y[:cut]), (x[cut:], y[cut:])
        return load_data

    channels_last = keras.config.image_data_format() == "channels_last"
    cifar = (32, 32, 3) if channels_last else (3, 32, 32)
    ds.mnist.load_data = images(60000, 10000, (28, 28))
    ds.fashion_mnist.load_data = images(60000, 10000, (28, 28))
    ds.cifar10.load_data = images(50000, 10000, cifar, (1,))
    ds.cifar100.load_data = images(50000, 10000, cifar, (1,))
    ds.imdb.load_data = sequences(50000, lambda total, split: 25000)
    ds.reuters.load_data = sequences(11228, lambda total, split: int(total * (1 - split)))
    ds.boston_housing.load_data = table(506, 13, "float64")
    ds.california_housing.load_data = table(20640, 8, "float32")


def is_main_block(node) -> bool:
    """`if __name__ == "__main__":` on one line, without an else."""
    return isinstance(node, ast.If) and not node.orelse and node.test.end_lineno == node.lineno and \
        ast.unparse(node.test).replace("'", '"') in ('__name__ == "__main__"', '"__main__" == __name__')


PRETRAINED = "<pretrained weights: not downloaded>"


def standin_pretrained_weights(keras):
    """No network here: keras.applications build the architecture asked for (same checks, layers, shapes
    and counts) and keep their initial weights where they would load ImageNet's."""
    from keras.src.utils import file_utils
    fetch, load = file_utils.get_file, keras.Model.load_weights

    def get_file(fname=None, origin=None, *args, cache_subdir="datasets", **kwargs):
        if cache_subdir == "models":  # where every application keeps its weight files
            return PRETRAINED
        return fetch(fname, origin, *args, cache_subdir=cache_subdir, **kwargs)

    def load_weights(model, filepath, *args, **kwargs):
        if filepath != PRETRAINED:
            return load(model, filepath, *args, **kwargs)

    file_utils.get_file = get_file
    keras.Model.load_weights = load_weights


def standin_tensorflow(keras_truth):
    """TensorFlow is not installed: besides keras_truth's tf (tf.keras is Keras 3, tensor functions from keras.ops),
    the names tutorials use around their models get their Keras 3 equivalents (seeds, initializers, dtypes,
    tf.function, tf.newaxis, tf.reduce_*), so that what they build is not lost to a missing name."""
    import types
    keras = keras_truth.keras
    shim = keras_truth._TensorFlowShim
    # TensorFlow's own seed, which nothing here draws from (keras.utils.set_random_seed would call it back).
    shim.random = types.SimpleNamespace(**vars(shim.random), set_seed=lambda seed: None)
    initializers = {"random_normal_initializer": "RandomNormal", "random_uniform_initializer": "RandomUniform",
                    "constant_initializer": "Constant", "zeros_initializer": "Zeros", "ones_initializer": "Ones",
                    "glorot_uniform_initializer": "GlorotUniform"}
    for name, keras_name in initializers.items():
        setattr(shim, name, getattr(keras.initializers, keras_name))
    for dtype in ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"):
        setattr(shim, dtype, dtype)
    shim.newaxis = None
    shim.function = staticmethod(lambda function=None, **_options: function if function is not None else (lambda f: f))
    shim._renamed = {**shim._renamed, "reduce_mean": "mean", "reduce_sum": "sum", "reduce_max": "max",
                     "reduce_min": "min", "reduce_prod": "prod"}


def trim(src_path, out_path, truth_path, statement_seconds=20):
    """Worker: run SOURCE statement by statement under Keras; OUT keeps what ran; TRUTH is keras_truth's entry."""
    import keras_truth
    keras = keras_truth.keras
    sys.path.insert(0, os.path.dirname(os.path.abspath(out_path)))  # the modules beside it, as `python FILE` finds them
    source = open(src_path).read()
    lines = source.splitlines()
    tree = ast.parse(keras_truth.without_tensorflow(source))
    keras_truth.shim_tensorflow_imports()
    standin_datasets(keras)
    standin_pretrained_weights(keras)
    standin_tensorflow(keras_truth)

    def refuse(*_a, **_k):
        raise RuntimeError("training is not run for the corpus truth")
    for name in ("fit", "evaluate", "predict", "train_on_batch", "predict_on_batch", "test_on_batch"):
        setattr(keras.Model, name, refuse)
    scope = {"__name__": "__main__", "__file__": out_path, "__tf_shim__": keras_truth._TensorFlowShim()}
    kept, dropped = [], []
    signal.signal(signal.SIGALRM, on_alarm)
    stdout, sys.stdout = sys.stdout, sys.stderr

    def run(node):
        """The statement's text if it ran here; else None, and why it was dropped is recorded."""
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "\n".join(lines[start - 1:node.end_lineno])
        definition = isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
        if any(s in text for s in SKIP) and not definition:
            dropped.append([start, node.end_lineno, "skipped (training/plotting/saving)"])
            return None
        signal.alarm(statement_seconds)
        try:
            exec(compile(ast.Module([node], []), out_path, "exec"), scope)
            return text
        except BaseException as exc:  # noqa: BLE001  (a statement Keras cannot run here is dropped)
            if isinstance(exc, KeyboardInterrupt):
                raise
            dropped.append([start, node.end_lineno, f"{type(exc).__name__}: {str(exc)[:120]}"])
            return None
        finally:
            signal.alarm(0)

    for node in tree.body:
        if is_main_block(node):  # run as a script, its statements are the program's: each trimmed on its own
            body = [text for text in map(run, node.body) if text is not None]
            indent = lines[node.body[0].lineno - 1][:node.body[0].col_offset]
            kept.append("\n".join([lines[node.lineno - 1]] + (body or [indent + "pass"])))
        else:
            text = run(node)
            if text is not None:
                kept.append(text)
    sys.stdout = stdout
    with open(out_path, "w") as f:
        f.write("\n".join(kept) + "\n")
    signal.alarm(240)
    truth = keras_truth.run(out_path, call_factories=True)
    signal.alarm(0)
    with open(truth_path, "w") as f:
        json.dump({"dropped": dropped, "truth": truth}, f, indent=1)


def build(manifest_path, only, mirror, truth_script, statement_seconds):
    with open(manifest_path) as f:
        manifest = json.load(f)
    out = os.path.join(REPO, "corpus", os.path.splitext(os.path.basename(manifest_path))[0])
    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    for entry in manifest["files"]:
        if only and entry["file"] not in only:
            continue
        git_dir = os.path.join(mirror, entry["repository"].replace("/", "+"), "repo")
        if os.path.isdir(os.path.join(git_dir, ".git")):  # a snapshot with a work tree
            git_dir = os.path.join(git_dir, ".git")
        # A file in a folder of its own (DIR/FILE) keeps its modules there, apart from another repository's.
        home = os.path.join(out, os.path.dirname(entry["file"]))
        for support in entry.get("support", []):
            os.makedirs(os.path.dirname(os.path.join(home, support)), exist_ok=True)
            with open(os.path.join(home, support), "w") as f:
                f.write(source_of(git_dir, entry["commit"], os.path.join(entry.get("root", ""), support)))
        raw = os.path.join(out, "src", entry["file"])
        os.makedirs(os.path.dirname(raw), exist_ok=True)
        with open(raw, "w") as f:
            f.write(source_of(git_dir, entry["commit"], entry["path"]))
        target = os.path.join(out, entry["file"])
        record = target[:-3] + ".run.json"
        try:
            subprocess.run([sys.executable, __file__, "--trim", raw, target, record, "--truth", truth_script,
                            "--statement-seconds", str(statement_seconds)],
                           timeout=max(420, 6 * statement_seconds), capture_output=True, cwd=out, check=True)
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
            print(f"{entry['file']}: not built ({type(exc).__name__})", file=sys.stderr)
            continue
        with open(record) as f:
            run = json.load(f)
        with open(target[:-3] + ".keras.json", "w") as f:
            json.dump(run["truth"], f, indent=1)
        entry["trimmed"] = [f"lines {a}-{b}: {why}" for a, b, why in run["dropped"]]
        print(entry["file"], file=sys.stderr)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?")
    parser.add_argument("files", nargs="*", help="only these files of the manifest")
    parser.add_argument("--mirror", default="/work/.mirror", help="folder of <owner>+<name>/repo git snapshots")
    parser.add_argument("--truth", default=os.path.join(REPO, "..", "shared", "tools", "keras_truth.py"))
    parser.add_argument("--statement-seconds", type=int, default=20,
                        help="a statement running longer is dropped (a training loop); a repository's large model "
                             "may take Keras longer than the default to build on a busy machine")
    parser.add_argument("--trim", nargs=3, metavar=("SOURCE", "OUT", "RECORD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trim:
        sys.path.insert(0, os.path.dirname(os.path.abspath(args.truth)))
        trim(*args.trim, args.statement_seconds)
    else:
        build(args.manifest, set(args.files), args.mirror, os.path.abspath(args.truth), args.statement_seconds)


if __name__ == "__main__":
    main()
