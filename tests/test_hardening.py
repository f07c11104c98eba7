"""Hostile input through the command line: checking a file never runs it, always ends in bounded time and
memory with a report, and one bad file never stops the others. Fuzzing is in test_fuzz.py."""

import importlib
import json
import os
import pathlib
import sys
import textwrap
import time
import tracemalloc

import pytest
from click.testing import CliRunner

from archlint import analysis
from archlint.cli import main
from archlint.evaluate import interpreter

SMALL_MODEL = "model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])\n"
SMALL_MODEL_PARAMS = 3 * 2 + 2
MEMORY_LIMIT = 400 * 2**20  # bytes Python may hold at the peak of one check


def short(value) -> str:
    """A test id: the start of a (possibly huge) source."""
    return repr(value)[:40]


def check(*args):
    """`archlint check --format json ARGS`, in this process, with its peak Python memory measured."""
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["check", "--format", "json", *map(str, args)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert peak < MEMORY_LIMIT, f"peak memory {peak / 2**20:.0f} MiB"
    return result


def report_of(result) -> dict:
    return json.loads(result.stdout)


def codes(file_report) -> list[str]:
    return [d["code"] for d in file_report["diagnostics"]]


@pytest.fixture
def small_budget(monkeypatch):
    """A smaller step and time budget: the same mechanism as the real one, a quicker end."""
    monkeypatch.setattr(interpreter, "MAX_STEPS", 200_000)
    monkeypatch.setattr(interpreter, "MAX_SECONDS", 5.0)


# -- the checked code never runs ------------------------------------------------------------------------------

def test_no_part_of_a_hostile_project_runs(tmp_path, monkeypatch):
    """Each place Python would run code on import or on a call tries to leave a file in `trap`."""
    trap = tmp_path / "trap"
    trap.mkdir()
    project = tmp_path / "project"
    project.mkdir()

    def touch(name):
        return f"open({str(trap / name)!r}, 'w')"

    (project / "helpers.py").write_text(textwrap.dedent(f"""\
        import os
        {touch("imported_module")}
        os.system("touch {trap / 'imported_module_system'}")

        def dense(units):
            {touch("imported_function")}
            import keras
            return keras.layers.Dense(units)
    """))
    (project / "model.py").write_text(textwrap.dedent(f"""\
        import os, sys, shutil, pickle, importlib, subprocess, pathlib
        import keras
        from helpers import dense

        def decorator_factory(tag):
            {touch("decorator_factory")}
            def decorate(function):
                {touch("decorator")}
                return function
            return decorate

        def class_decorator(cls):
            subprocess.Popen(["touch", "{trap / 'class_decorator'}"])
            return cls

        class Meta(type):
            def __new__(mcs, name, bases, namespace):
                {touch("metaclass")}
                return super().__new__(mcs, name, bases, namespace)

        @class_decorator
        class Config(metaclass=Meta):
            {touch("class_body")}
            path = pathlib.Path({str(trap / "class_attribute")!r}).write_text("x")

            def __init_subclass__(cls):
                {touch("init_subclass")}

        class Hostile(keras.layers.Layer):
            def call(self, x):
                os.system("touch {trap / 'layer_call'}")
                {touch("layer_call_open")}
                return x

        @decorator_factory(os.system("touch {trap / 'decorator_argument'}"))
        def build(units=eval("__import__('os').system('touch {trap / 'default_eval'}')"),
                  *, rate=exec("open({str(trap / 'default_exec')!r}, 'w')"),
                  hook=lambda: {touch("lambda_default")}):
            {touch("factory_body")}
            getattr(os, "system")("touch {trap / 'getattr_system'}")
            __import__("subprocess").run(["touch", "{trap / 'import_dunder'}"])
            importlib.import_module("helpers")
            pickle.loads(b"cos\\nsystem\\n(S'touch {trap / 'pickle'}'\\ntR.")
            compile("x = 1", "f", "exec")
            shutil.rmtree({str(project)!r})
            inputs = keras.Input(shape=(3,))
            x = Hostile()(inputs)
            x = keras.layers.Lambda(lambda t: os.system("touch {trap / 'lambda_layer'}") or t)(x)
            return keras.Model(inputs, dense(2)(x))

        os.environ["ARCHLINT_HOSTILE"] = "1"
        os.chdir({str(trap)!r})
        sys.path.insert(0, {str(trap)!r})
        sys.modules["keras"] = None
        with open({str(trap / "with_open")!r}, "w") as handle:
            handle.write("x")
        model = build()
        if __name__ == "__main__":
            {touch("main_block")}
        sys.exit(3)
        os._exit(4)
    """))
    cwd, path = os.getcwd(), list(sys.path)
    result = check(project / "model.py")
    assert sorted(os.listdir(trap)) == []
    assert (project / "helpers.py").exists()
    assert (os.getcwd(), sys.path, "ARCHLINT_HOSTILE" in os.environ) == (cwd, path, False)
    assert "helpers" not in sys.modules and sys.modules.get("keras", "not imported") is not None
    assert result.exit_code in (0, 1)
    models = report_of(result)["files"][0]["models"]
    # The factory's Dense(2) after the opaque Lambda is still found, by name.
    assert any(layer["type"] == "Dense" for model in models for layer in model["layers"])


# -- what cannot be parsed ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "x = (1,\ny = 2\n",
    "def f(:\n    pass\n",
    "if True:\npass\n",
    "x = 1\n  y = 2\n",
    "x = $\n",
    "x = 'unterminated\n",
    "print 'python 2'\n",
    "f(**x, *y)\n",
    "x = 0777\n",
    "class C:\n    return 1\n",  # refused by the compiler, past the grammar
    "def f(a, a):\n    pass\n",
    "import keras\nbreak\n",
])
def test_syntax_errors_are_al001_at_the_parsers_line_and_column(tmp_path, source):
    path = tmp_path / "broken.py"
    path.write_text(source)
    with pytest.raises(SyntaxError) as parser:
        compile(source, str(path), "exec", dont_inherit=True)  # the parser's answer (compiling runs nothing)
    result = check(path)
    assert result.exit_code == 1
    (diagnostic,) = report_of(result)["files"][0]["diagnostics"]
    assert (diagnostic["code"], diagnostic["line"], diagnostic["column"]) == \
        ("AL001", parser.value.lineno, parser.value.offset)


@pytest.mark.parametrize("data, al001", [
    (b"", False),
    (b"# only a comment\n# and another\n", False),
    (b"\n\n\n", False),
    (b"\xef\xbb\xbfimport keras\n", False),  # a UTF-8 byte order mark
    (b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n", False),
    (b"name = 'caf\xe9'\n", True),  # Latin-1 bytes without the declaration
    (b"# -*- coding: no-such-codec -*-\nx = 1\n", True),
    (b"x = 1\x00\n", True),
    (bytes(range(256)) * 64, True),
    (b"\x89PNG\r\n\x1a\n" + bytes(4096), True),
    (b"\xff\xfe" + "import keras\n".encode("utf-16-le"), True),
], ids=short)
def test_odd_files_give_a_report(tmp_path, data, al001):
    path = tmp_path / "odd.py"
    path.write_bytes(data)
    result = check(path)
    (file_report,) = report_of(result)["files"]
    assert codes(file_report) == (["AL001"] if al001 else [])
    assert result.exit_code == (1 if al001 else 0)


# -- bounded time and memory ------------------------------------------------------------------------------

NESTED_DAG = "x = [[]]\nfor _ in range(60):\n    x = [x, x]\n"  # 2**60 items when walked, 61 lists in memory
NESTED_TUPLE = "t = ()\nfor _ in range(60):\n    t = (t, t)\n"


@pytest.mark.parametrize("hostile", [
    "x = [0] * 10**12",
    "x = 'a' * 10**12",
    "x = 2 ** 10**10",
    "x = 1 << 10**10",
    "x = list(range(10**18))",
    "x = sorted(range(10**18))",
    "x = sum(range(10**18))",
    "x = None in range(10**18)",
    "x = len(range(10**18))",
    "import math\nx = math.prod(range(1, 10**6))",
    "x = 10**1000\nfor _ in range(100):\n    x = x * x",
    "x = 1\nfor _ in range(100):\n    x = x << 4000",
    "x = '{:>1000000000}'.format(1)",
    "x = '{:>{}}'.format(1, 10**12)",
    "x = f'{1.5:.1000000000f}'",
    "x = 'a'.zfill(10**12)",
    "x = ('a' * 1000).replace('a', 'b' * 10**6)",
    "x = ('a' * 10**6).join(['b'] * 1000)",
    "s = 'ab'\nfor _ in range(100):\n    s = f'{s}{s}'",
    "s = 'ab'\nfor _ in range(100):\n    s = '%s%s' % (s, s)",
    "s = 'ab'\nfor _ in range(100):\n    s = '{}{}'.format(s, s)",
    "s = 'ab'\nfor _ in range(100):\n    s = s.replace('a', 'aa')",
    NESTED_DAG + "y = str(x)",
    NESTED_DAG + "y = f'{x}'",
    NESTED_DAG + "import copy\ny = copy.deepcopy(x)\nz = x == y",
    NESTED_DAG + "import copy\ny = copy.deepcopy(x)\nz = y in [x]",
    NESTED_DAG + "y = sorted([x, x])",
    NESTED_TUPLE + "d = {t: 1}",
    NESTED_TUPLE + "d = {t}",
    NESTED_TUPLE + "d = set([t])",
    NESTED_TUPLE + "d = {u: 1 for u in [t]}",
    "x = []\nx.append(x)\ny = str(x)\nz = x == x",
    "def f(n):\n    return f(n + 1)\ny = f(0)",
    "def f(n):\n    return g(n)\ndef g(n):\n    return f(n)\ny = f(0)",
    "y = (lambda f: f(f))(lambda f: f(f))",
    "x = 'a' * 4_000_000",  # a few MB: a literal of this size is spelled out below
    "x = sum([[0] * 10**5] * 10**3, [])",  # Python copies the growing list at each step
    "x = sum([[0]] * 10**6, [])",
], ids=short)
def test_enormous_values_end_with_a_report_and_the_analysis_goes_on(tmp_path, small_budget, hostile):
    path = tmp_path / "hostile.py"
    path.write_text(f"import keras\n{hostile}\n{SMALL_MODEL}")
    start = time.process_time()  # the budget is CPU time: a busy machine stretches the wall time
    result = check(path)
    assert time.process_time() - start < 30
    assert result.exit_code in (0, 1)
    models = report_of(result)["files"][0]["models"]
    assert [(m["symbol"], m["total_params"]) for m in models] == [("model", SMALL_MODEL_PARAMS)]


@pytest.mark.parametrize("hostile", [
    "x = 0\nwhile True:\n    x += 1",
    "while True:\n    pass",
    "x = [i for i in range(10**18)]",
    "x = sum(i for i in range(10**18))",
    "x = {i: i for i in range(10**18)}",
    "x = {i for i in range(10**18)}",
    "x = [1]\nfor _ in range(100):\n    x.extend(x)",
    "x = []\nfor i in range(10**18):\n    x.append(i)",
    "d = {}\nfor i in range(100):\n    d.update(zip(range(i * 10**5, (i + 1) * 10**5), range(10**5)))",
    "x = []\nx.extend(range(10**12))",
    "x = [*range(10**12)]",
    "x = (*range(10**12),)",
    "a, *b = range(10**12)",
], ids=short)
def test_endless_work_ends_with_a_budget_finding(tmp_path, small_budget, hostile):
    path = tmp_path / "endless.py"
    path.write_text(f"import keras\n{hostile}\n{SMALL_MODEL}")
    start = time.process_time()  # the budget is CPU time: a busy machine stretches the wall time
    result = check(path)
    assert time.process_time() - start < 30
    (file_report,) = report_of(result)["files"]
    assert any(d["code"] == "AL301" and "budget" in d["message"] for d in file_report["diagnostics"])


def test_a_model_growing_forever_stops_within_the_budget_and_the_models_before_it_are_reported(tmp_path):
    path = tmp_path / "growing.py"
    path.write_text("import keras\n" + SMALL_MODEL + "grown = keras.Sequential([keras.Input(shape=(4,))])\n"
                    "while True:\n    grown.add(keras.layers.Dense(4))\n")
    start = time.process_time()
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    # Within the budget: on an idle machine its wall time; on a busy one, which stretches the wall time, the
    # CPU time it measures stays inside it all the same.
    assert time.process_time() - start < interpreter.MAX_SECONDS
    (file_report,) = report_of(result)["files"]
    [stop] = [d for d in file_report["diagnostics"] if d["code"] == "AL301"]
    assert stop["line"] in (4, 5) and "in the `while` loop at line 4 in the file" in stop["message"]
    assert [(m["symbol"], m["total_params"]) for m in file_report["models"]][0] == ("model", SMALL_MODEL_PARAMS)


@pytest.mark.parametrize("option, setting", [(["--max-analysis-seconds", "0.5"], ""),
                                             ([], "[tool.archlint]\nmax-analysis-seconds = 0.5\n")])
def test_the_budget_is_a_setting(tmp_path, option, setting):
    (tmp_path / "pyproject.toml").write_text(setting)
    path = tmp_path / "endless.py"
    path.write_text("x = 0\nwhile True:\n    x += 1\n")
    start = time.process_time()
    result = CliRunner().invoke(main, ["check", "--format", "json", *option, str(path)])
    assert time.process_time() - start < 0.5 + 1.5
    [stop] = report_of(result)["files"][0]["diagnostics"]
    assert stop["code"] == "AL301" and "(budget: 0.5 s, --max-analysis-seconds)" in stop["message"]


def test_values_filling_the_memory_end_with_a_report_and_the_models_before_are_reported(tmp_path, monkeypatch):
    # Each list is within the size any one value may have; together they would take 80 GB.
    monkeypatch.setattr(interpreter, "MAX_MEMORY", 128 * 2**20)
    path = tmp_path / "filling.py"
    path.write_text("import keras\n" + SMALL_MODEL + "rows = [[0] * 10**5 for _ in range(10**5)]\n")
    (file_report,) = report_of(check(path))["files"]
    [stop] = [d for d in file_report["diagnostics"] if d["code"] == "AL301"]
    assert stop["line"] == 3 and "memory budget exceeded at line 3" in stop["message"]
    assert [(m["symbol"], m["total_params"]) for m in file_report["models"]] == [("model", SMALL_MODEL_PARAMS)]


def test_a_value_nested_too_deeply_stops_there_and_the_models_before_are_reported(tmp_path):
    path = tmp_path / "nested.py"
    path.write_text("import keras\n" + SMALL_MODEL + "x = []\nfor _ in range(5000):\n    x = [x]\ny = str(x)\n")
    (file_report,) = report_of(check(path))["files"]
    [stop] = file_report["diagnostics"]
    # Where the nesting first outgrows the stack: walking the list to size it (line 5) or str() (line 6).
    assert stop["code"] == "AL301" and stop["line"] in (5, 6)
    assert f"nested too deeply to analyse at line {stop['line']} in the file" in stop["message"]
    assert [(m["symbol"], m["total_params"]) for m in file_report["models"]] == [("model", SMALL_MODEL_PARAMS)]


def test_a_reshape_by_an_enormous_factor_ends_with_the_keras_error(tmp_path):
    # Keras refuses 4 elements in the shape (-1, 10**9, 10**9); the sizes the input could take instead would
    # be periodic with period 10**18, too many classes to walk.
    path = tmp_path / "reshape.py"
    path.write_text("import keras\nmodel = keras.Sequential([keras.Input(shape=(4,)), "
                    "keras.layers.Reshape((-1, 10**9, 10**9))])\n")
    start = time.process_time()
    (file_report,) = report_of(check(path))["files"]
    assert time.process_time() - start < 30
    assert codes(file_report) == ["AL105"]


def test_endless_model_functions_stop_once_with_a_finding_and_the_models_before_are_reported(tmp_path):
    path = tmp_path / "factories.py"
    path.write_text("import keras\ndef small():\n    return keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])\n"
                    + "".join(f"def build_{i}():\n    while True:\n        pass\n" for i in range(100)))
    start = time.process_time()
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    assert time.process_time() - start < interpreter.MAX_SECONDS  # the functions after the first are not called
    (file_report,) = report_of(result)["files"]
    [stop] = file_report["diagnostics"]
    assert stop["code"] == "AL301" and "budget exceeded" in stop["message"] and "in build_0()" in stop["message"]
    assert [(m["symbol"], m["total_params"]) for m in file_report["models"]] == [("small", SMALL_MODEL_PARAMS)]


def test_a_size_error_before_an_endless_loop_takes_the_budget_once(tmp_path):
    # A size error has the file analysed again with its input sizes named, to say which sizes would do;
    # after a stop at the budget that second run would take the budget again.
    path = tmp_path / "both.py"
    path.write_text("import keras\nmodel = keras.Sequential([keras.Input(shape=(8, 8, 3)), keras.layers.Conv2D(4, 9)])\n"
                    "x = 0\nwhile True:\n    x += 1\n")
    start = time.process_time()
    result = CliRunner().invoke(main, ["check", "--format", "json", "--max-analysis-seconds", "1.5", str(path)])
    assert time.process_time() - start < 0.9  # the evaluation stops after 0.5 s to 0.6 s of CPU time, once
    assert codes(report_of(result)["files"][0]) == ["AL101", "AL301"]


class BusyMachine:
    """The clocks of a machine so busy that the wall time runs ten times faster than the analysis's CPU time."""

    def __init__(self):
        self.wall_start, self.cpu_start = time.monotonic(), time.thread_time()

    def thread_time(self) -> float:
        return time.thread_time()

    def monotonic(self) -> float:
        return self.wall_start + 10 * (time.thread_time() - self.cpu_start)


def test_a_busy_machine_stretches_the_budget_rather_than_cutting_a_file_short(tmp_path, monkeypatch):
    monkeypatch.setattr(interpreter, "time", BusyMachine())
    budget = 0.6  # the evaluation may take 0.18 s of wall time, and never stops before 0.18 s of CPU time
    counting = tmp_path / "counting.py"  # about 0.07 s of CPU time, 0.7 s of wall time on this machine
    counting.write_text("import keras\nx = 0\nfor i in range(15000):\n    x += i\n" + SMALL_MODEL)
    result = CliRunner().invoke(main, ["check", "--format", "json", "--max-analysis-seconds", str(budget), str(counting)])
    (file_report,) = report_of(result)["files"]
    assert codes(file_report) == [] and file_report["models"][0]["total_params"] == SMALL_MODEL_PARAMS
    endless = tmp_path / "endless.py"
    endless.write_text("x = 0\nwhile True:\n    x += 1\n")
    start = time.process_time()
    result = CliRunner().invoke(main, ["check", "--format", "json", "--max-analysis-seconds", str(budget), str(endless)])
    assert time.process_time() - start > budget * interpreter.CPU_SHARE
    [stop] = report_of(result)["files"][0]["diagnostics"]
    assert stop["code"] == "AL301" and "budget" in stop["message"]


@pytest.mark.parametrize("source, code", [
    ("x = " + "(" * 100_000 + ")" * 100_000, "AL001"),
    ("x = " + "[" * 1_000 + "]" * 1_000, "AL001"),
    ("x = " + "[" * 20 + "]" * 20, None),
    ("x = " + "[" * 150 + "]" * 150, "AL301"),  # Python parses it; archlint's evaluator stops, saying so
    ("x = " + "-" * 100_000 + "1", "AL001"),
    ("x = " + " + ".join(["1"] * 100_000), "AL001"),
    ("x = a" + ".b" * 100_000, "AL001"),
    ("x = f" + "()" * 100_000, "AL001"),
    ("x = " + "not " * 100_000 + "1", "AL001"),
    ("x = " + "lambda: " * 100_000 + "1", "AL001"),
    ("x = " + "1 if 1 else " * 100_000 + "1", "AL001"),
    ("".join("    " * i + "if x:\n" for i in range(99)) + "    " * 99 + "pass", "AL301"),
    ("".join("    " * i + "if x:\n" for i in range(120)) + "    " * 120 + "pass", "AL001"),
    ("x = 9" + "9" * 1_000_000, "AL001"),  # Python refuses integer literals over 4300 digits
    # Python accepts these; libcst's native parser would overflow its stack (a segfault) on the chains,
    # and take gigabytes for the long files.
    ("x = " + " and ".join(["a"] * 10_000), "AL301"),
    ("x = " + " or ".join(["a"] * 100_000), "AL301"),
    ("x = " + ("(a and a and " * 190) + "a" + ")" * 190, "AL301"),
    ("@d\n" * 100_000 + "def f(): pass", "AL301"),
    ("x = 1\n" * 30_000, "AL301"),
    ("x = [" + "1, " * 100_000 + "]", "AL301"),
    # Python reads 10,000 implicitly concatenated strings; libcst's parser gives up: archlint's limit, not AL001.
    ("x = " + "'a' " * 10_000, "AL301"),
], ids=short)
def test_deep_and_long_sources(tmp_path, source, code):
    path = tmp_path / "deep.py"
    path.write_text(source + "\n")
    start = time.process_time()  # the budget is CPU time: a busy machine stretches the wall time
    result = check(path)
    assert time.process_time() - start < 60
    (file_report,) = report_of(result)["files"]
    assert codes(file_report) == ([code] if code else [])


def test_an_imported_module_that_cannot_be_parsed_safely(tmp_path):
    (tmp_path / "chain.py").write_text("x = " + " and ".join(["a"] * 10_000) + "\n")
    (tmp_path / "model.py").write_text("import keras\nimport chain\n" + SMALL_MODEL)
    (file_report,) = report_of(check(tmp_path / "model.py"))["files"]
    assert codes(file_report) == ["AL301"]
    assert file_report["models"][0]["total_params"] == SMALL_MODEL_PARAMS


def test_a_string_literal_of_a_few_megabytes(tmp_path):
    path = tmp_path / "big_literal.py"
    path.write_text("import keras\nblob = '" + "ab" * 1_500_000 + "'\nwidth = len(blob) // 10**6\n"
                    "model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(width)])\n")
    model = report_of(check(path))["files"][0]["models"][0]
    assert model["total_params"] == 3 * 3 + 3


def test_parameter_counts_beyond_64_bits_are_exact(tmp_path):
    path = tmp_path / "huge.py"
    path.write_text(textwrap.dedent("""\
        import keras
        from keras import layers
        model = keras.Sequential([
            keras.Input(shape=(100_000, 100_000, 1_000)),
            layers.Flatten(),
            layers.Dense(10**10),
            layers.Dense(10**10),
        ])
    """))
    features = 100_000 * 100_000 * 1_000
    first, second = features * 10**10 + 10**10, 10**10 * 10**10 + 10**10
    assert first + second > 2**64
    model = report_of(check(path))["files"][0]["models"][0]
    assert [layer["params"] for layer in model["layers"] if layer["type"] == "Dense"] == [first, second]
    assert model["total_params"] == first + second
    text = CliRunner().invoke(main, ["check", str(path)])
    assert str(first + second) in text.output.replace(",", "")


@pytest.mark.parametrize("style", ["sequential", "functional"])
def test_twenty_thousand_layers(tmp_path, monkeypatch, style):
    # The step budget is the subject; the time budget would make the result depend on the machine's load
    # (with tracemalloc on, a loaded CI machine takes longer than 20 s).
    monkeypatch.setattr(interpreter, "MAX_SECONDS", 600.0)
    path = tmp_path / "deep_model.py"
    if style == "sequential":
        path.write_text("import keras\nmodel = keras.Sequential([keras.Input(shape=(4,))] + "
                        "[keras.layers.Dense(4) for _ in range(20_000)])\n")
    else:
        path.write_text("import keras\nx = inputs = keras.Input(shape=(4,))\nfor _ in range(20_000):\n"
                        "    x = keras.layers.Dense(4)(x)\nmodel = keras.Model(inputs, x)\n")
    model = report_of(check(path))["files"][0]["models"][0]
    assert model["total_params"] == 20_000 * (4 * 4 + 4)


# -- imports: itself, cycles, star cycles ----------------------------------------------------------------------

def test_import_cycles_end(tmp_path):
    package = tmp_path / "net"
    package.mkdir()
    (package / "__init__.py").write_text("from . import *\nfrom .blocks import *\n")
    (package / "blocks.py").write_text(textwrap.dedent("""\
        from . import *
        from .heads import head
        from net import blocks
        import net.model
        from keras import layers

        def block(x):
            return layers.Dense(4)(x)
    """))
    (package / "heads.py").write_text(textwrap.dedent("""\
        from .blocks import *
        from . import blocks, heads
        from keras import layers

        def head(x):
            return layers.Dense(1)(blocks.block(x))
    """))
    (package / "model.py").write_text(textwrap.dedent("""\
        import keras
        import model
        from model import *
        from . import model as me
        from .model import inputs
        from .heads import head
        from .blocks import *

        inputs = keras.Input(shape=(3,))
        model = keras.Model(inputs, head(block(inputs)))
    """))
    result = check(package / "model.py")
    assert result.exit_code in (0, 1)
    models = report_of(result)["files"][0]["models"]
    # Dense(4) on 3 features, Dense(4) on 4, Dense(1) on 4.
    assert [m["total_params"] for m in models if m["symbol"] == "model"] == [(3 * 4 + 4) + (4 * 4 + 4) + (4 + 1)]


def test_a_file_that_imports_itself(tmp_path):
    path = tmp_path / "selfish.py"
    path.write_text("import keras\nimport selfish\nfrom selfish import *\nfrom selfish import model as other\n"
                    "x = selfish.x if hasattr(selfish, 'x') else 1\n" + SMALL_MODEL)
    models = report_of(check(path))["files"][0]["models"]
    # As in Python, the module `selfish` is a second run of the file, its model another one.
    assert [(m["symbol"], m["total_params"]) for m in models] == [("other", SMALL_MODEL_PARAMS),
                                                                   ("model", SMALL_MODEL_PARAMS)]


# -- one bad file never stops the others ----------------------------------------------------------------------

@pytest.fixture
def mixed_directory(tmp_path, monkeypatch):
    """good.py, broken.py (a syntax error) and crash.py (on which archlint itself fails)."""
    (tmp_path / "good.py").write_text("import keras\n" + SMALL_MODEL)
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "crash.py").write_text("import keras\n" + SMALL_MODEL)
    real_run = interpreter.Evaluator.run_module

    def run_module(evaluator):
        if evaluator.path.endswith("crash.py"):
            raise KeyError("a bug in archlint")
        return real_run(evaluator)

    monkeypatch.setattr(interpreter.Evaluator, "run_module", run_module)
    return tmp_path


def test_an_internal_error_is_one_line_exit_2_and_the_others_are_reported(mixed_directory):
    result = check(mixed_directory)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == \
        [f"archlint: internal error on {mixed_directory / 'crash.py'}: KeyError: 'a bug in archlint'"]
    files = {pathlib.Path(f["path"]).name: f for f in report_of(result)["files"]}
    assert sorted(files) == ["broken.py", "good.py"]
    assert codes(files["broken.py"]) == ["AL001"]
    assert files["good.py"]["models"][0]["total_params"] == SMALL_MODEL_PARAMS


def test_debug_shows_the_traceback_and_still_reports_the_others(mixed_directory):
    result = check("--debug", mixed_directory)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "a bug in archlint" in result.stderr
    assert sorted(pathlib.Path(f["path"]).name for f in report_of(result)["files"]) == ["broken.py", "good.py"]


@pytest.mark.parametrize("output_format, writer", [
    ("json", "json_report"), ("text", "text"), ("sarif", "sarif"), ("markdown", "markdown"), ("github", "github"),
])
def test_a_report_writer_failure_loses_only_that_file(tmp_path, monkeypatch, output_format, writer):
    # A finding in each file: every writer lists findings.
    finding = "import keras\nmodel = keras.Sequential([keras.Input(shape=(4, 4, 3)), keras.layers.Conv2D(8, 5)])\n"
    (tmp_path / "good.py").write_text(finding)
    (tmp_path / "unwritable.py").write_text(finding)
    module = importlib.import_module(f"archlint.report.{writer}")
    real_render = module.render

    def render(files, **options):
        if any(f.path.endswith("unwritable.py") for f in files):
            raise ValueError("a bug in the writer")
        return real_render(files, **options)

    monkeypatch.setattr(module, "render", render)
    result = CliRunner().invoke(main, ["check", "--format", output_format, str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"archlint: internal error writing the report for {tmp_path / 'unwritable.py'}: ValueError: a bug in the writer"]
    assert "good.py" in result.stdout and "unwritable.py" not in result.stdout


# -- what fuzzing found (test_fuzz.py) ------------------------------------------------------------------------

@pytest.mark.parametrize("source, keras_error", [
    # A merge of a known tensor and an unknown value (an Input Keras refuses): no shape to compute.
    ("a = keras.Input(shape=(1,))\nb = keras.Input(shape=(-1,))\nmodel = keras.Model([a, b], keras.layers.Add()([a, b]))",
     "AL106"),
    # Keras indexes shared_axes into the input's axes and raises IndexError when one does not fit.
    ("i = keras.Input(shape=(16, 16, 4))\nmodel = keras.Model(i, keras.layers.PReLU(shared_axes=[1, -3])(i))", "AL106"),
    # Keras binds the call's arguments and raises TypeError for a missing one (MultiHeadAttention's value).
    ("q = keras.Input(shape=(10, 16))\nmodel = keras.Model(q, keras.layers.MultiHeadAttention(2, 8)(q))", "AL106"),
    # "caffe" preprocessing reorders 3 channels; with none, Keras's indexing fails.
    ("from keras.applications import resnet\ni = keras.Input(shape=(8, 8, 0))\n"
     "model = keras.Model(i, keras.layers.Conv2D(2, 3)(resnet.preprocess_input(i)))", "AL106"),
    # groups=-1 on an axis of size 0: Keras divides by the channel count and raises ZeroDivisionError.
    ("i = keras.Input(shape=(0,))\nmodel = keras.Model(i, keras.layers.GroupNormalization(groups=-1)(i))", "AL106"),
    # A layer taking one tensor, called on a list: Keras says it "expects 1 input(s), but it received 2".
    *[(f"a = keras.Input(shape=(8, 4))\nmodel = keras.Model(a, keras.layers.{layer}([a, a]))", "AL103")
      for layer in ("Flatten()", "Dense(2)", "BatchNormalization()", "RepeatVector(2)", "Embedding(3, 2)")],
], ids=short)
def test_fuzz_findings(source, keras_error):
    report = analysis.analyze_source("import keras\n" + source + "\n", "found.py")
    assert keras_error in [d.code for d in report.diagnostics if d.severity == "error"]


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "markdown", "github"])
def test_counts_beyond_a_float_are_written_in_every_format(tmp_path, output_format):
    """Fuzzing found that a report writer divided a MAC count too large for a float and failed."""
    path = tmp_path / "vast.py"
    path.write_text("import keras\nmodel = keras.Sequential([keras.Input(shape=(10**200,)), keras.layers.Dense(10**200)])\n")
    params = 10**200 * 10**200 + 10**200
    result = CliRunner().invoke(main, ["check", "--format", output_format, str(path)])
    assert result.exit_code in (0, 1) and result.stderr == "", result.stderr
    if output_format in ("text", "markdown"):
        assert f"{params:,}" in result.output
        assert "3.63e+388 TB" in result.output  # 4 bytes per parameter: 4e400 / 1024**4 = 3.638e388
