"""The static evaluator: walks a libcst module and computes Python values without running it.

Numbers, strings, containers, user functions and control flow on known values are computed;
Keras calls produce layer objects, models and symbolic tensors (see `keras_api`); anything
else becomes an `Unknown` that carries its reason until something needs it, where it is
reported (AL301). Imports bind `Ref`s: nothing is ever imported or executed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time

import libcst as cst
from libcst.metadata import PositionProvider

try:
    import resource
except ImportError:  # Windows: values' own size limits bound the memory
    resource = None
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

from archlint import dims
from archlint.errors import InvalidArgument, NotInKeras3, Unresolved
from archlint.evaluate import builtins as builtin_values
from archlint.evaluate import tensor_ops
from archlint.evaluate import factory_cache, library_positions, project_modules, reads
from archlint.evaluate.data_numbers import DataNumbers
from archlint.evaluate.fragments import ASSUMED_IMPORTS, UndefinedNames
from archlint.evaluate.keras_api import KerasApi, Sighting, is_model
from archlint.evaluate.objects import Event, Frame, Function, Method, ModuleValue, PublicModule, default_line_name
from archlint.evaluate.source import Refused, parse
from archlint.evaluate.user_classes import BoundMethod, UserClass, UserLayer, UserObject
from archlint.graph import Position, Tensor
from archlint.keras_names import canonical, missing_from_keras3, star_import_has
from archlint.layers.base import Layer, Weight
from archlint.values import Ref, Unknown, described, unsized

MAX_STEPS = 2_000_000
# The analysis of one file ends within this many seconds of wall time on an idle machine (the reading of
# installed libraries' files aside: it is not the checked code's time).
MAX_SECONDS = 3.0
# The evaluation may take this share of them: tabulating, checking and writing the layers it made take longer
# again (a Sequential grown in an endless loop: 0.9 s of evaluation, 1.0 s after it, 0.3 s of start-up).
EVALUATION_SHARE = 0.3
# It is never stopped before it has had this share of them in CPU time (its own thread's: other threads of the
# process are load like other processes), so that a busy machine, which stretches the wall time, cuts no real
# file short (the largest Keras Applications source needs 0.5 s of CPU): a file needing less is analysed to its
# end whatever the load, and the same way every time.
CPU_SHARE = 0.3
CLOCK_INTERVAL = 0.02  # seconds of wall time between readings of the (slower to read) CPU clock and memory
# The evaluation stops once the process's resident memory has grown this much since it began (the largest Keras
# Applications source grows it by about 40 MiB): no single value may be larger than MAX_SEQUENCE items or
# MAX_INT_BITS, but many of them together could exhaust the machine before the time budget ends.
MAX_MEMORY = 1 << 30
MAX_CALL_DEPTH = 64
MAX_SEQUENCE = 1_000_000
METHOD_DECORATORS = ("staticmethod", "classmethod", "property")


_STOPPED = object()  # what run_to_end gives when the evaluation could not finish


class BudgetExceeded(Exception):
    def __init__(self, position: Position | None, line: str, memory: bool = False):
        super().__init__(line)
        self.position, self.line = position, line  # `line` names it: "line 7"
        self.memory = memory  # the memory bound, not the time budget
        self.inside: str | None = None  # the innermost loop or call running then: "the loop at line 5"


@contextlib.contextmanager
def _stopped_inside(what):
    """A budget stop within names `what()` (the loop or call running) as where it stopped, unless something
    inside it was named first (the innermost one is reported)."""
    try:
        yield
    except BudgetExceeded as exc:
        exc.inside = exc.inside or what()
        raise


class _Return(Exception):
    def __init__(self, value):
        self.value = value


# Keras objects that run the code given to them only while a model trains (a LearningRateScheduler's schedule).
_TRAINING_TIME = ("keras.callbacks.", "keras.optimizers.", "keras.losses.", "keras.metrics.")


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _LoopUncertain(Exception):
    """A skipped block may `break` or `continue`: the enclosing loop's further course is not known."""


class UserException(Exception):
    """An exception in the checked code: it unwinds to a matching `try`, or ends that analysis."""

    def __init__(self, kind: str | None, position: Position | None, line: str, message: str | None = None,
                 library: bool = False):
        super().__init__(line)
        self.kind = kind  # the exception class's name, None when not known statically
        self.position, self.line = position, line
        self.message = message  # its message, when a string known statically
        self.library = library  # raised by an installed library's code (keras_hub refusing an argument)


def resident_memory() -> int:
    """The process's resident memory in bytes: now where the system tells (Linux), else its peak so far
    (macOS); 0 where neither is known (Windows)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        pass
    if resource is None:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def _event_key(event: Event) -> tuple:
    where = event.position
    return event.code, event.message, where and (where.line, where.column), id(event.layer)


def _is_unknown(value) -> bool:
    return isinstance(value, Unknown)


class Evaluator:
    def __init__(self, module: cst.Module, wrapper: cst.MetadataWrapper, path: str):
        self.module = module
        self.input_shapes: dict = {}  # --input-shape: input or model name -> shape, set by the analysis
        self.position_maps = [wrapper.resolve(PositionProvider)]
        self.path = path
        self.current_path = path
        self.modules: dict[str, ModuleValue] = {}
        self.library_files: dict[str, bool] = {}  # by path: project_modules.is_library_file, resolving links once
        self.events: list[Event] = []
        # What an installed library's code could not follow (AL301), each with whether it was made outside its
        # layers' code (in its module-level set-up, such as `tf = try_import_tensorflow()`).
        self.library_events: dict[int, bool] = {}
        self.reported: set[tuple] = set()
        self.globals = Frame()
        self.globals.names["__name__"] = "__main__"  # the checked file runs as a script
        self.steps = 0
        self.max_steps = MAX_STEPS
        self.max_seconds = MAX_SECONDS
        self.wall_start, self.cpu_start = time.monotonic(), time.thread_time()
        self.memory_start = resident_memory()
        self.stopped = False  # a budget ended the evaluation
        self.last_node: cst.CSTNode | None = None
        self.next_clock = self.wall_start + CLOCK_INTERVAL
        self.chain: list[str] = []
        self.call_ids: list[int | None] = []  # beside each chain step: Position.call_ids
        self.calls_made = 0
        self.entries: list[Position | None] = []  # where the checked file calls into other files' code
        self.keras3_checked: set[int] = set()  # the nodes AL107 was reported at, once each
        self.changes_read: dict[int, _ChangedNames] = {}  # by syntax node: the tree outlives the evaluation
        self.line_name = default_line_name  # a notebook names its lines by cell
        self.functions: list[str] = []  # names of the user functions being evaluated, innermost last
        self.method_classes: list = []  # (class, instance) of the methods being evaluated, for super()
        self.data_numbers = DataNumbers(module, self.line_of)  # numbers read from data, as named sizes
        # id -> (the list, dict or set, the Unknown it now is) for containers changed in ways not known statically
        self.unsure_containers: dict[int, tuple[object, Unknown]] = {}
        self.keras = KerasApi(self)
        self.undefined_names: UndefinedNames | None = None  # AL108, in the checked file only
        self.assumed_imports = False
        self.only_called: frozenset[str] | None = None  # names the checked file only calls (factory_cache)

    # -- entry points ---------------------------------------------------------------------

    def track_undefined_names(self, assume_imports: bool) -> None:
        """Report names the file never binds; with `assume_imports`, run the usual Keras imports first."""
        self.undefined_names = UndefinedNames(self.module, assume_imports)
        self.assumed_imports = assume_imports

    def run_module(self) -> None:
        if self.assumed_imports:
            self.exec_block(cst.parse_module(ASSUMED_IMPORTS).body, self.globals)
        self.run_to_end(lambda: self.exec_block(self.module.body, self.globals), "the file")

    def call_factory(self, function: Function):
        """Call a top-level function with its defaults, as `archlint` analyses model factories."""
        result = self.run_to_end(lambda: self.call_function(function, [], {}, None), f"{function.name}()")
        return Unknown(f"{function.name}() did not complete") if result is _STOPPED else result

    def run_to_end(self, run, what: str):
        """Run the evaluation of a whole module or factory; a budget or an uncaught raise stops it with AL301."""
        try:
            return run()
        except BudgetExceeded as exc:
            reads.unrepeatable()  # another run, on a busier machine or in a larger process, stops elsewhere
            self.stopped = True
            inside = f" in {exc.inside}" if exc.inside else ""
            if exc.memory:
                self.report(Unresolved.code,
                            f"analysis memory budget exceeded at {exc.line}{inside} in {what}: its values "
                            f"took over {MAX_MEMORY >> 20} MiB; the rest is not analysed", exc.position)
            else:
                self.report(Unresolved.code,
                            f"analysis budget exceeded at {exc.line}{inside} in {what}; the rest is not "
                            f"analysed (budget: {self.max_seconds:g} s, --max-analysis-seconds)", exc.position)
        except UserException as exc:
            if exc.library and exc.kind == "ValueError" and what == "the file":
                # An installed library's check of the arguments the file gives it (keras_hub's backbones).
                said = f": {exc.message}" if exc.message else ""
                self.report(InvalidArgument.code, f"the file's call raises ValueError at {exc.line}{said}",
                            exc.position)
            else:
                self.report(Unresolved.code,
                            f"{what} raises {exc.kind or 'an exception'} at {exc.line}; analysis stops there",
                            exc.position)
        except RecursionError:  # a value nested thousands deep (str() of it), a recursion Python's stack cannot hold
            self.stopped = True
            known = self.last_node is not None and self.position_maps[0].get(self.last_node) is not None
            position, line = self.where(self.last_node if known else None)
            self.report(Unresolved.code, f"values or calls nested too deeply to analyse at {line} in {what}; "
                                         f"the rest is not analysed", position)
        except (_Return, _Break, _Continue, _LoopUncertain):
            pass
        return _STOPPED

    def given_shape(self, name: str):
        """The shape (without batch axis) given for an input or model name, a name standing for a size."""
        shape = self.input_shapes.get(name)
        return None if shape is None else tuple(dims.Size.named(d) if isinstance(d, str) else d for d in shape)

    # -- bookkeeping ----------------------------------------------------------------------

    def tick(self, node: cst.CSTNode) -> None:
        self.steps += 1
        self.last_node = node  # where a RecursionError, which unwinds every frame, is said to be
        if self.steps > self.max_steps:
            raise BudgetExceeded(*self.where(node))
        # The wall clock on every step (one step may walk a million items, so counting steps could overshoot
        # far); the CPU clock, which costs ten times more to read, only once it has moved on.
        now = time.monotonic()
        if now > self.next_clock:
            self.next_clock = now + CLOCK_INTERVAL
            if self.budget_spent():
                raise BudgetExceeded(*self.where(node))
            if resident_memory() - self.memory_start > MAX_MEMORY:
                raise BudgetExceeded(*self.where(node), memory=True)

    def budget_spent(self) -> bool:
        """Whether the evaluation has had its share of the time budget, in wall time and in CPU time."""
        return time.monotonic() - self.wall_start > self.max_seconds * EVALUATION_SHARE \
            and time.thread_time() - self.cpu_start > self.max_seconds * CPU_SHARE

    def code_range(self, node: cst.CSTNode):
        for positions in self.position_maps:
            where = positions.get(node)
            if where is not None:
                return where
        return None

    def line_of(self, node: cst.CSTNode) -> int:
        where = self.code_range(node)
        return where.start.line if where is not None else 0

    def position(self, node: cst.CSTNode | None) -> Position | None:
        """Where `node` is in the checked file; in code of another file (a project module, a Keras
        application), where the checked file called into it, the rest of the way in the chain."""
        if self.current_path != self.path:
            entry = self.entries[-1] if self.entries else None
            return entry and Position(entry.line, entry.column, entry.end_line, entry.end_column, tuple(self.chain),
                                      tuple(self.call_ids))
        where = None if node is None else self.code_range(node)
        if where is None:
            return None
        return Position(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1, tuple(self.chain),
                        tuple(self.call_ids))

    def line_label(self, line: int) -> str:
        """A line of the code being evaluated, named for messages: in another file, with that file's name."""
        if self.current_path == self.path:
            return self.line_name(line)
        return f"line {line} of {os.path.basename(self.current_path)}"

    def label_of(self, node) -> str:
        return self.line_label(self.line_of(node))

    def source_text(self, node, longest: int = 40) -> str:
        """A short expression as the source writes it (`self.table`), for messages; a longer one shortened."""
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= longest else text[:longest - 3] + "..."

    def where(self, node) -> tuple[Position | None, str]:
        return self.position(node), self.line_label(self.line_of(node)) if node is not None else "an unknown line"

    def entering(self, path: str, node):
        """Evaluation moves into code of `path`; the checked file's node that leads there, when it does."""
        if self.current_path == self.path and path != self.path:
            self.entries.append(self.position(node))
            return True
        return False

    def report(self, code: str, message: str, node, layer: Layer | None = None) -> None:
        """A finding, once per place and message: a loop or a helper called many times repeats none."""
        position = node if isinstance(node, Position) or node is None else self.position(node)
        event = Event(code, message, position, layer, self.functions[-1] if self.functions else None)
        key = _event_key(event)
        if key not in self.reported:
            self.reported.add(key)
            self.events.append(event)
            if code == Unresolved.code and self.in_library_code():
                self.library_events[id(event)] = layer is None and not self.method_classes

    def in_library_code(self) -> bool:
        """Whether the code being evaluated is an installed library's (keras_hub, Keras's own applications) that the
        checked file imports; a library file checked directly is the checked code."""
        return self.current_path != self.path and self.is_library_file(self.current_path)

    @functools.cached_property
    def keras_definitions(self) -> frozenset[str] | None:
        """What the installed Keras's source defines, read once per analysis (project_modules.keras_definitions)."""
        return project_modules.keras_definitions()

    def is_library_file(self, path: str) -> bool:
        if path not in self.library_files:
            self.library_files[path] = project_modules.is_library_file(path)
        return self.library_files[path]

    def forget_events(self, since: int) -> None:
        """Drop the findings made since `since` events (an evaluation whose findings are noise)."""
        del self.events[since:]
        self.reported = {_event_key(event) for event in self.events}

    def check_keras_path(self, dotted: str, node) -> None:
        """Each part of an imported module path, so that the first one Keras 3 lacks is reported."""
        parts = dotted.split(".")
        for length in range(2, len(parts) + 1):
            self.check_keras_name(".".join(parts[:length]), node)

    def check_keras_name(self, qualname: str, node) -> None:
        """AL107 where the code names something Keras 3 does not have; the analysis goes on with what it meant."""
        if id(node) not in self.keras3_checked:
            problem = missing_from_keras3(qualname)
            if problem:
                self.keras3_checked.add(id(node))
                self.report(NotInKeras3.code, problem, node)

    def unknown(self, reason: str, node: cst.CSTNode | None = None) -> Unknown:
        return Unknown(reason, self.line_of(node) if node is not None else None)

    # -- statements -----------------------------------------------------------------------

    def exec_block(self, body, frame: Frame) -> None:
        if isinstance(body, cst.BaseSuite) and not isinstance(body, cst.IndentedBlock):
            body = body.body  # SimpleStatementSuite: `if x: y = 1`
        elif isinstance(body, cst.IndentedBlock):
            body = body.body
        for statement in body:
            self.exec_statement(statement, frame)

    def exec_statement(self, node, frame: Frame) -> None:
        self.tick(node)
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.exec_small(small, frame)
            return
        handler = getattr(self, f"exec_{type(node).__name__}", None)
        if handler is None:
            self.exec_small(node, frame)
        else:
            handler(node, frame)

    def exec_small(self, node, frame: Frame) -> None:
        self.tick(node)
        if isinstance(node, cst.Expr):
            self.eval(node.value, frame)
        elif isinstance(node, cst.Assign):
            value = self.eval(node.value, frame)
            for target in node.targets:
                self.assign(target.target, value, frame)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.eval(node.value, frame), frame)
        elif isinstance(node, cst.AugAssign):
            current = self.eval(node.target, frame)
            value = self.binary(type(node.operator).__name__.replace("Assign", ""), current,
                                self.eval(node.value, frame), node)
            if isinstance(current, (list, dict, set)) and value is not current:
                value = self.changed_in_place(current, value, node)
            self.assign(node.target, value, frame, augmented=True)
        elif isinstance(node, cst.Return):
            raise _Return(None if node.value is None else self.eval(node.value, frame))
        elif isinstance(node, cst.Break):
            raise _Break()
        elif isinstance(node, cst.Continue):
            raise _Continue()
        elif isinstance(node, cst.Import):
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None:
                    self.bind(alias.asname.name.value, self.import_module(dotted, 0, node) or Ref(dotted), frame)
                else:
                    top = dotted.split(".")[0]
                    self.bind(top, self.import_module(top, 0, node) or Ref(top), frame)
                self.check_keras_path(dotted, alias)
        elif isinstance(node, cst.ImportFrom):
            self.exec_import_from(node, frame)
        elif isinstance(node, cst.Raise):
            value = None if node.exc is None else self.eval(node.exc, frame)
            kind = value.name if isinstance(value, builtin_values.ExceptionClass) else None
            raise UserException(kind, *self.where(node), self.raised_message(node.exc, frame),
                                library=self.in_library_code())
        elif isinstance(node, cst.Assert):
            if self.truth(self.eval(node.test, frame), node.test, report=False) is False:
                raise UserException("AssertionError", *self.where(node))
        elif isinstance(node, cst.Global):
            frame.globals_declared.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Del):
            self.delete(node.target, frame)
        # pass, assert, nonlocal: nothing to compute

    def raised_message(self, raised, frame: Frame) -> str | None:
        """The message of `raise Kind("...")` when its first argument is a string (an f-string's values known)."""
        if not isinstance(raised, cst.Call) or not raised.args or raised.args[0].keyword is not None or \
                not isinstance(raised.args[0].value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            return None
        try:
            message = self.eval(raised.args[0].value, frame)
        except UserException:
            return None
        return message if isinstance(message, str) else None

    def changed_in_place(self, container, value, node):
        """`l += [x]`, `s |= t`, `d |= e` change the container itself, which other names may hold: it takes the
        result's items, or becomes unknown where the result is."""
        if type(value) is not type(container):
            self.forget_container(container, f"`{self.source_text(node.target)}` is changed in place by values not "
                                  "known statically", node)
            return value
        if isinstance(container, list):
            container[:] = value
        else:
            container.clear()
            container.update(value)
        return container

    def delete(self, target, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.names.pop(target.value, None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.delete(element.value, frame)
        elif isinstance(target, cst.Subscript):
            container, key = self.item_target(target, frame)
            if container is None:
                return
            try:
                del container[key]
            except (IndexError, KeyError) as exc:
                raise UserException(type(exc).__name__, *self.where(target)) from None
            except TypeError:
                self.forget_container(container, f"`{self.source_text(target.value)}` loses an item it may not have",
                                      target)

    def exec_import_from(self, node: cst.ImportFrom, frame: Frame) -> None:
        level = len(node.relative)
        module_name = "" if node.module is None else _dotted(node.module)
        module = self.import_module(module_name, level, node) if module_name or level else None
        if isinstance(node.names, cst.ImportStar):
            if isinstance(module, ModuleValue):
                frame.names.update({k: v for k, v in module.frame.names.items() if not k.startswith("_")})
            elif not level:
                frame.star_imports.append(Ref(module_name))
            return
        if not level:
            self.check_keras_path(module_name, node.module)
        for alias in node.names:
            name = _dotted(alias.name)
            bound = alias.asname.name.value if alias.asname is not None else name
            if not level:
                self.check_keras_name(f"{module_name}.{name}", alias)
            if isinstance(module, PublicModule) and name in module.index:
                value = Ref(f"{module_name}.{name}") if self.read_when_called(module_name, name, bound) else \
                    self.get_attribute(module, name, node)
            elif isinstance(module, ModuleValue) and name in module.frame.names:
                value = module.frame.names[name]
            else:
                value = self.import_module(f"{module_name}.{name}" if module_name else name, level, node)
                if value is None:
                    value = _library_value(Ref(f"{module_name}.{name}")) if not level else \
                        Unknown(f"{'.' * level}{module_name}.{name} could not be resolved in the project")
            self.bind(bound, value, frame)

    def read_when_called(self, module_name: str, name: str, bound: str) -> bool:
        """Whether `from keras.applications import ResNet50` binds the factory's name, read when it is called
        (as `keras.applications.ResNet50(...)` is), so that a call kept in the library cache reads no library file:
        in the checked file's code, when it only calls that name."""
        if self.current_path != self.path or factory_cache.factory_source(f"{module_name}.{name}") is None:
            return False
        if self.only_called is None:
            self.only_called = factory_cache.only_called(self.module)
        return bound in self.only_called

    def import_module(self, dotted: str, level: int, node) -> "ModuleValue | PublicModule | None":
        """Evaluate a module of the checked project once; library modules stay Refs."""
        index = None if level else project_modules.public_index(dotted)
        if index is not None:
            return PublicModule(dotted, index)
        path = project_modules.find(self.current_path, dotted, level)
        if path is None and not level and self.current_path != self.path:
            # A module's absolute import is found on sys.path, which starts at the checked script's folder:
            # nets/yolo.py's `from utils.utils import compose` reads the utils/ beside the script.
            path = project_modules.find(self.path, dotted, 0)
        if path is None:
            return None
        if path in self.modules:
            return self.modules[path]
        if not level and self.is_library_file(path):
            try:
                index = project_modules.reexport_index(path)
            except (OSError, cst.ParserSyntaxError):
                index = None
            if index is not None:  # a package's public API module (keras_hub.models): each name read when used
                self.modules[path] = PublicModule(dotted, index)
                return self.modules[path]
        library = self.is_library_file(path)
        wall, cpu = time.monotonic(), time.thread_time()
        try:
            module, positions = _parsed(path, library=library)
        except (OSError, Refused):
            self.report(Unresolved.code, f"imported module {dotted or path} cannot be read or parsed", node)
            return None
        if library:  # reading an installed library's files is not the checked code's time: the budget is its own
            self.wall_start += time.monotonic() - wall
            self.cpu_start += time.thread_time() - cpu
        self.position_maps.append(positions)
        value = ModuleValue(dotted, path, Frame())
        self.modules[path] = value  # before running it: import cycles see the partial module
        entered = self.entering(path, node)
        outer_path, self.current_path = self.current_path, path
        try:
            self.exec_block(module.body, value.frame)
        except (UserException, _Return, _Break, _Continue, _LoopUncertain):
            pass
        finally:
            self.current_path = outer_path
            if entered:
                self.entries.pop()
        return value

    def exec_If(self, node: cst.If, frame: Frame) -> None:
        value = self.eval(node.test, frame)
        test = self.truth(value, node.test, report=False)
        if test is None:
            changes = self.changes_in(node)
            self.truth(value, node.test, consequence="it may end the loop, which is not analysed past it"
                       if changes.leaves_loop else "this branch is not analysed")
            self.forget_changes(node, frame, f"the branch at {self.label_of(node)} that is not analysed")
            return
        if test:
            self.exec_block(node.body, frame)
        elif node.orelse is not None:
            if isinstance(node.orelse, cst.If):
                self.exec_If(node.orelse, frame)
            else:
                self.exec_block(node.orelse.body, frame)

    def exec_For(self, node: cst.For, frame: Frame) -> None:
        with _stopped_inside(lambda: f"the `for` loop at {self.label_of(node)}"):
            self._run_for(node, frame)

    def _run_for(self, node: cst.For, frame: Frame) -> None:
        items = self.iterate(self.eval(node.iter, frame), node.iter)
        if items is None:
            self.forget_changes(node, frame, f"the loop at {self.label_of(node)} whose body is not analysed")
            return
        loop_line = self.line_of(node)
        broke = False
        for index, item in enumerate(items):
            self.tick(node)
            self.assign(node.target, item, frame)
            self.chain.append(f"iteration {index} of the loop at {self.line_label(loop_line)}")
            self.call_ids.append(None)
            try:
                self.exec_block(node.body, frame)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
            except _LoopUncertain:
                self.forget_changes(node, frame, f"the loop at {self.line_label(loop_line)}, whose course is not known")
                return
            finally:
                self.chain.pop()
                self.call_ids.pop()
        if not broke and node.orelse is not None:
            self.exec_block(node.orelse.body, frame)

    def exec_While(self, node: cst.While, frame: Frame) -> None:
        with _stopped_inside(lambda: f"the `while` loop at {self.label_of(node)}"):
            self._run_while(node, frame)

    def _run_while(self, node: cst.While, frame: Frame) -> None:
        while True:
            test = self.truth(self.eval(node.test, frame), node.test)
            if test is None:
                self.forget_changes(node, frame, f"the loop at {self.label_of(node)} whose body is not analysed")
                return
            if not test:
                break
            try:
                self.exec_block(node.body, frame)
            except _Break:
                return
            except _Continue:
                continue
            except _LoopUncertain:
                self.forget_changes(node, frame, f"the loop at {self.label_of(node)}, whose course is not known")
                return
        if node.orelse is not None:
            self.exec_block(node.orelse.body, frame)

    def exec_Try(self, node: cst.Try, frame: Frame) -> None:
        try:
            self.exec_block(node.body, frame)
        except UserException as exc:
            handler = next((h for h in node.handlers if self.handles(h, exc, frame)), None)
            if handler is None:
                raise
            if handler.name is not None:
                self.assign(handler.name.name, Unknown(f"exception {exc.kind}"), frame)
            self.exec_block(handler.body, frame)
        else:
            if node.orelse is not None:
                self.exec_block(node.orelse.body, frame)
        finally:
            if node.finalbody is not None:
                self.exec_block(node.finalbody.body, frame)

    def handles(self, handler: cst.ExceptHandler, exc: UserException, frame: Frame) -> bool:
        if handler.type is None:
            return True
        caught = self.eval(handler.type, frame)
        classes = caught if isinstance(caught, tuple) else (caught,)
        return any(isinstance(c, builtin_values.ExceptionClass) and (exc.kind is None or c.catches(exc.kind))
                   for c in classes)

    def exec_With(self, node: cst.With, frame: Frame) -> None:
        for item in node.items:
            value = self.eval(item.item, frame)
            if item.asname is not None:
                self.assign(item.asname.name, value, frame)
        self.exec_block(node.body, frame)

    def exec_FunctionDef(self, node: cst.FunctionDef, frame: Frame) -> None:
        function = self.make_function(node, node.name.value, frame)
        value = function
        for decorator in reversed(node.decorators):
            kind = decorator.decorator.value if isinstance(decorator.decorator, cst.Name) else None
            if kind in METHOD_DECORATORS and self.scope_of(kind, frame) is None:
                function.method_kind = kind  # how the class binds it: see UserClasses.bind
                continue
            decorator_value = self.eval(decorator.decorator, frame)
            value = self.apply_decorator(decorator_value, value, decorator)
        self.bind(node.name.value, value, frame)

    def exec_ClassDef(self, node: cst.ClassDef, frame: Frame) -> None:
        bases = [self.eval(arg.value, frame) for arg in node.bases]
        body = Frame(parent=frame)
        self.exec_block(node.body, body)
        for value in body.names.values():
            if isinstance(value, Function):
                value.closure = frame  # methods do not see the class body's names
        self.bind(node.name.value, self.keras.classes.make(node.name.value, bases, body.names), frame)

    def apply_decorator(self, decorator, function, node):
        """Decorators that only register or document a function leave it as it is."""
        if isinstance(decorator, (Function, builtin_values.Builtin)):
            return self.call(decorator, [function], {}, node)
        return function

    def changes_in(self, node) -> "_ChangedNames":
        """What a block may change, read once per block: a loop may skip the same block many times."""
        if id(node) not in self.changes_read:
            changes = _ChangedNames()
            node.visit(changes)
            self.changes_read[id(node)] = changes
        return self.changes_read[id(node)]

    def forget_changes(self, node, frame: Frame, where: str) -> None:
        """A block that is skipped may change names and containers: they become unknown, never stale.

        A `return` in it makes the function's result unknown too; a `break` or `continue`, the loop's.
        """
        changes = self.changes_in(node)
        self.forget_container_changes(changes.containers, frame, where, node)
        for name in sorted(changes.names):
            reason = f"`{name}` may be changed in {where}"
            scope = self.scope_of(name, frame)
            before = scope.names[name] if scope is not None else None
            if isinstance(before, Tensor):  # keep the model connected: what follows has an unknown shape
                self.rebind(name, self.keras.unresolved_successor(before, reason, node), frame)
            else:
                self.rebind(name, Unknown(reason, self.line_of(node)), frame)
        self.forget_layer_changes(changes.receivers, frame, where)
        if changes.returns and frame.parent is not None:
            raise _Return(Unknown(f"the function may return in {where}", self.line_of(node)))
        if changes.leaves_loop:
            raise _LoopUncertain()

    def forget_container_changes(self, containers, frame: Frame, where: str, node) -> None:
        """A list, dict or set a skipped block may change in place (`table[k] = v`, `self.names.append(x)`) is
        unknown after it under every name that holds it, not only the one the block uses."""
        events_before = len(self.events)
        for expression, value in self.values_of_names(containers, frame):
            self.forget_container(value, f"`{self.source_text(expression)}` may be changed in {where}", node)
        self.forget_events(events_before)

    def forget_layer_changes(self, receivers, frame: Frame, where: str) -> None:
        """A layer whose attributes or methods a skipped block uses may gain weights there (a sublayer built in
        the branch not analysed): its parameters become unknown."""
        events_before = len(self.events)
        for _, value in self.values_of_names(receivers, frame):
            if isinstance(value, Layer) and not value.unknown_params_reason:
                value.unknown_params_reason = f"{value.name} may be changed in {where}"
        self.forget_events(events_before)

    def values_of_names(self, expressions, frame: Frame):
        """(expression, value) of each name or attribute among `expressions` (`table`, `self.names`) that can be
        read, one at a time."""
        for expression in expressions:
            if isinstance(expression, (cst.Name, cst.Attribute)):
                try:
                    yield expression, self.eval(expression, frame)
                except UserException:
                    continue

    # -- binding --------------------------------------------------------------------------

    def bind(self, name: str, value, frame: Frame) -> None:
        if name in frame.globals_declared:
            frame = frame.module
        frame.names[name] = value
        if frame is self.globals and is_model(value):
            self.keras.sightings.append(Sighting(name, value, True))

    def scope_of(self, name: str, frame: Frame) -> Frame | None:
        """The frame whose binding of `name` is visible from `frame`, if any."""
        scope = frame.module if name in frame.globals_declared else frame
        while scope is not None:
            if name in scope.names:
                return scope
            scope = scope.parent
        return None

    def rebind(self, name: str, value, frame: Frame) -> None:
        """Bind `name` in the scope where it is visible now (a closure's list changed in place), else locally."""
        scope = self.scope_of(name, frame)
        if scope is None:
            self.bind(name, value, frame)
        else:
            scope.names[name] = value

    def lookup(self, name: str, frame: Frame, node):
        scope = frame
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            if scope.parent is None:
                # Each `from module import *` binds its own names, the latest first; a name no Keras module has is undefined.
                for ref in reversed(scope.star_imports):
                    if star_import_has(ref.qualname, name) is not False:
                        return ref.attr(name)
            scope = scope.parent
        if name in builtin_values.EXCEPTIONS:
            return builtin_values.EXCEPTIONS[name]
        if name in builtin_values.BUILTINS:
            return builtin_values.BUILTINS[name]
        if name == "hasattr":
            return HASATTR
        if name == "getattr":
            return GETATTR
        if name == "__import__":
            return DUNDER_IMPORT
        if name == "setattr":
            return SETATTR
        if self.undefined_names is not None and self.current_path == self.path:
            meant = self.undefined_names.check(self, name, node)
            if meant is not None:
                return meant
        return self.unknown(f"name `{name}` is not defined", node)

    def assign(self, target, value, frame: Frame, augmented: bool = False) -> None:
        if isinstance(target, cst.Name):
            if isinstance(value, Unknown):  # were it a number, it is the number of that name
                value = self.data_numbers.bound(value, target.value, self.line_of(target))
            self.bind(target.value, value, frame)
        elif isinstance(target, (cst.Tuple, cst.List)):
            self.unpack(target, value, frame)
        elif isinstance(target, cst.Attribute):
            obj = self.eval(target.value, frame)
            self.keras.set_attribute(obj, target.attr.value, value, target)
        elif isinstance(target, cst.Subscript):
            container, key = self.item_target(target, frame)
            if container is None:
                return
            try:
                container[key] = value  # `l[1:] = [...]` too
            except (IndexError, TypeError, ValueError):
                self.forget_container(container, f"`{self.source_text(target.value)}` is given an item it may not take",
                                      target)

    def item_target(self, target: cst.Subscript, frame: Frame):
        """The list or dict and the key of an item assigned or deleted (`d[k] = v`, `del l[i]`); (None, None) when
        the container is not one, or the key is not known statically, which leaves the container unknown after it:
        `d[num_classes] = 7` adds a key or replaces one."""
        container = self.eval(target.value, frame)
        if not isinstance(container, (list, dict)):
            return None, None
        keys = tuple(self.slice_value(s.slice, frame) for s in target.slice)
        key = keys[0] if len(keys) == 1 else keys
        parts = (key.start, key.stop, key.step) if isinstance(key, slice) else (key,)
        if builtin_values.costly(*parts) or builtin_values.holds_unknown(*parts):
            self.forget_container(container, f"`{self.source_text(target.value)}` is given or loses an item at a key "
                                  "not known statically", target)
            return None, None
        return container, key

    def assign_unknown(self, target, value: Unknown, frame: Frame) -> None:
        """Bind every name of a (nested) unpacking target to the same unknown, reported once already."""
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.assign_unknown(element.value, value, frame)
        else:
            self.assign(target, value, frame)

    def unpack(self, target, value, frame: Frame) -> None:
        elements = target.elements
        items = self.iterate(value, None)  # no finding here: each name keeps the reason, reported where used
        if items is None:
            reason = value.reason if _is_unknown(value) else described(value)
            self.assign_unknown(target, Unknown(f"unpacked from a value not known statically ({reason})"), frame)
            return
        self.check_size(builtin_values.length(items), target)  # before making them
        items = list(items)
        star = next((i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)), None)
        if star is None:
            if len(items) != len(elements):
                for element in elements:
                    self.assign(element.value, Unknown("unpacking length mismatch"), frame)
                return
            for element, item in zip(elements, items):
                self.assign(element.value, item, frame)
            return
        after = len(elements) - star - 1
        for element, item in zip(elements[:star], items[:star]):
            self.assign(element.value, item, frame)
        self.assign(elements[star].value, items[star:len(items) - after], frame)
        for element, item in zip(elements[star + 1:], items[len(items) - after:]):
            self.assign(element.value, item, frame)

    # -- expressions ----------------------------------------------------------------------

    def eval(self, node, frame: Frame):
        self.tick(node)
        handler = getattr(self, f"eval_{type(node).__name__}", None)
        if handler is None:
            return self.unknown(f"{type(node).__name__} expressions are not evaluated", node)
        value = handler(node, frame)
        if self.unsure_containers and isinstance(value, (list, dict, set)):
            unsure = self.unsure_containers.get(id(value))
            if unsure is not None:
                return unsure[1]
        return value

    def forget_container(self, container, reason: str, node) -> None:
        """A list, dict or set changed in a way not known statically (`d[num_classes] = 7`, `s.add(num_classes)`): from
        now on it is unknown, under whatever name, attribute or item holds it."""
        if isinstance(container, (list, dict, set)):
            self.unsure_containers[id(container)] = (container, self.unknown(reason, node))

    def eval_Ellipsis(self, node: cst.Ellipsis, frame):
        return Ellipsis  # x[..., :n]

    def eval_Name(self, node: cst.Name, frame):
        if node.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.value]
        return self.lookup(node.value, frame, node)

    def eval_Integer(self, node: cst.Integer, frame):
        try:
            return int(node.value, 0)
        except ValueError:  # beyond Python's digit limit for int()
            return self.unknown("integer literal too large", node)

    def eval_Float(self, node: cst.Float, frame):
        return float(node.value.replace("_", ""))

    def eval_Imaginary(self, node, frame):
        return self.unknown("complex numbers are not evaluated", node)

    def eval_SimpleString(self, node: cst.SimpleString, frame):
        value = node.evaluated_value
        return value if isinstance(value, str) else self.unknown("bytes literal", node)

    def eval_ConcatenatedString(self, node: cst.ConcatenatedString, frame):
        left, right = self.eval(node.left, frame), self.eval(node.right, frame)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return self.unknown("string with unknown parts", node)

    def eval_FormattedString(self, node: cst.FormattedString, frame):
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
                continue
            value = self.eval(part.expression, frame)
            if _is_unknown(value) or not isinstance(value, (int, float, str, bool, type(None), tuple, list)):
                return self.unknown("f-string with an unknown part", node)
            spec = ""
            if part.format_spec:
                for spec_part in part.format_spec:
                    if not isinstance(spec_part, cst.FormattedStringText):
                        return self.unknown("f-string with a computed format", node)
                    spec += spec_part.value
            if part.conversion == "r":
                value = repr(value)
            try:
                parts.append(builtin_values.formatted(value, spec))
            except builtin_values.NotEvaluated:
                return self.unknown("f-string value too large to analyse", node)
            except (ValueError, TypeError):
                return self.unknown("f-string format not understood", node)
        if sum(len(part) for part in parts) > MAX_SEQUENCE:  # `s = f"{s}{s}"` in a loop
            return self.unknown("f-string too large to analyse", node)
        return "".join(parts)

    def eval_Tuple(self, node: cst.Tuple, frame):
        return tuple(self.elements(node.elements, frame))

    def eval_List(self, node: cst.List, frame):
        return list(self.elements(node.elements, frame))

    def eval_Set(self, node: cst.Set, frame):
        items = self.elements(node.elements, frame)
        if builtin_values.costly(items):
            return self.unknown("set of values too large to hash", node)
        if builtin_values.unsure_keys(items):
            return self.unknown("set of values not known statically, which may be equal", node)
        try:
            return set(items)
        except TypeError:
            return self.unknown("set of unhashable values", node)

    def elements(self, elements, frame) -> list:
        values = []
        for element in elements:
            if isinstance(element, cst.StarredElement):
                items = self.iterate(self.eval(element.value, frame), element,
                                     "starred value not known statically; the sequence it extends is unknown")
                if items is None:
                    values.append(Unknown("starred unknown value"))
                else:
                    self.check_size(len(values) + builtin_values.length(items), element)  # before making them
                    values.extend(items)
            else:
                values.append(self.eval(element.value, frame))
        self.check_size(len(values), elements[0] if elements else None)
        return values

    def eval_Dict(self, node: cst.Dict, frame):
        result = {}
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                value = self.eval(element.value, frame)
                if isinstance(value, dict):
                    result.update(value)
                continue
            key = self.eval(element.key, frame)
            if builtin_values.costly(key):
                return self.unknown("dict key too large to hash", node)
            try:
                result[key] = self.eval(element.value, frame)
            except TypeError:
                return self.unknown("dict with an unhashable key", node)
        if builtin_values.unsure_keys(list(result)):
            return self.unknown("dict keys not known statically, which may be equal", node)
        return result

    def eval_Attribute(self, node: cst.Attribute, frame):
        return self.get_attribute(self.eval(node.value, frame), node.attr.value, node)

    def get_attribute(self, obj, name: str, node):
        if isinstance(obj, Ref):
            ref = obj.attr(name)
            self.check_keras_name(ref.qualname, node)
            return _library_value(ref)
        if _is_unknown(obj):
            return unsized(obj)
        if isinstance(obj, PublicModule):
            if name not in obj.index:
                self.check_keras_name(f"{obj.name}.{name}", node)
                return Ref(f"{obj.name}.{name}")
            source, original = obj.index[name]
            if source == obj.name:
                # `keras.applications` lists its own submodules: `from keras.applications import imagenet_utils`
                source, original = f"{source}.{original}", None
            module = self.import_module(source, 0, node)
            if original is None:
                return module if module is not None else Ref(source)
            return self.get_attribute(module, original, node) if module is not None else Ref(f"{source}.{original}")
        if isinstance(obj, ModuleValue):
            if name in obj.frame.names:
                return obj.frame.names[name]
            return self.import_module(f"{obj.name}.{name}", 0, node) or self.unknown(f"{obj.name}.{name} is not defined", node)
        if isinstance(obj, Function) and name in ("__name__", "__doc__"):
            return obj.name if name == "__name__" else obj.docstring
        return self.keras.get_attribute(obj, name, node)

    def eval_Subscript(self, node: cst.Subscript, frame):
        value = self.eval(node.value, frame)
        if len(node.slice) != 1:
            key = tuple(self.slice_value(s.slice, frame) for s in node.slice)
        else:
            key = self.slice_value(node.slice[0].slice, frame)
        return self.subscript(value, key, node)

    def slice_value(self, item, frame):
        if isinstance(item, cst.Index):
            return self.eval(item.value, frame)
        parts = [None if p is None else self.eval(p, frame) for p in (item.lower, item.upper, item.step)]
        return slice(*parts)

    def subscript(self, value, key, node):
        if _is_unknown(value):
            return unsized(value)
        if _is_unknown(key) or (isinstance(key, slice) and any(_is_unknown(p) for p in (key.start, key.stop, key.step))):
            return self.unknown("subscript with an unknown index", node)
        if isinstance(value, (Tensor, Weight)):
            return self.keras.tensor_subscript(self.keras.as_tensor(value), key, node)
        if isinstance(key, Tensor):  # class_names[y_train[0]]: a label's value is known only at run time
            return self.unknown("subscript with a tensor's value, known only at run time", node)
        if isinstance(value, (list, tuple, str, dict, range)):
            if builtin_values.costly(key):
                return self.unknown("subscript too large to hash", node)
            try:
                return value[key]
            except (IndexError, KeyError, TypeError) as exc:
                raise UserException(type(exc).__name__, *self.where(node)) from None
        return self.keras.subscript(value, key, node)

    def eval_UnaryOperation(self, node: cst.UnaryOperation, frame):
        value = self.eval(node.expression, frame)
        op = type(node.operator).__name__
        if op == "Not":
            truth = self.truth(value, node, report=False)
            return self.unknown("`not` of an unknown value", node) if truth is None else not truth
        if isinstance(value, (int, float)) and not _is_unknown(value):
            return {"Minus": lambda v: -v, "Plus": lambda v: +v, "BitInvert": lambda v: ~v}[op](value)
        if isinstance(value, (Tensor, Weight)):
            return self.keras.tensor_unary(self.keras.as_tensor(value), node)
        return self.unknown("unary operation on an unknown value", node)

    def eval_BinaryOperation(self, node: cst.BinaryOperation, frame):
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        return self.binary(type(node.operator).__name__, left, right, node)

    def binary(self, op: str, left, right, node):
        if isinstance(left, (Tensor, Weight)) or isinstance(right, (Tensor, Weight)):
            return self.keras.tensor_binary(op, self.keras.as_tensor(left), self.keras.as_tensor(right), node)
        if _is_unknown(left) or _is_unknown(right):
            number = self.data_numbers.binary(op, left, right, node)
            if number is not None:
                return number
            return unsized(left if _is_unknown(left) else right)
        return builtin_values.binary(op, left, right, lambda reason: self.unknown(reason, node))

    def eval_BooleanOperation(self, node: cst.BooleanOperation, frame):
        left = self.eval(node.left, frame)
        truth = self.truth(left, node.left, report=False)
        if truth is None:
            return self.unknown("boolean operation on an unknown value", node)
        is_and = isinstance(node.operator, cst.And)
        if truth != is_and:
            return left
        return self.eval(node.right, frame)

    def eval_Comparison(self, node: cst.Comparison, frame):
        left = self.eval(node.left, frame)
        for target in node.comparisons:
            right = self.eval(target.comparator, frame)
            operator = type(target.operator).__name__
            if isinstance(left, (Tensor, Weight)) or isinstance(right, (Tensor, Weight)):
                if len(node.comparisons) == 1 and operator in tensor_ops.OPERATORS:  # `i >= j`: a tensor
                    return self.binary(operator, left, right, node)
                if len(node.comparisons) == 1 and operator == "Equal" and _concrete_operands(left, right):
                    # NumPy's and JAX's arrays compare item by item (a KerasTensor compares by identity)
                    return self.keras.apply_tensor_function(tensor_ops.OPS["equal"], [left, right], {}, node)
            result = builtin_values.compare(operator, left, right)
            if result is None:
                number = next((v.size for v in (left, right) if _is_unknown(v) and v.size is not None), None)
                if number is not None:  # a named size never takes a value
                    return self.unknown(f"it compares {number}, known only at run time", node)
                return self.unknown("comparison of unknown values", node)
            if not result:
                return False
            left = right
        return True

    def eval_IfExp(self, node: cst.IfExp, frame):
        truth = self.truth(self.eval(node.test, frame), node.test)
        if truth is None:
            return self.unknown("condition not known statically", node)
        return self.eval(node.body if truth else node.orelse, frame)

    def eval_Lambda(self, node: cst.Lambda, frame):
        return self.make_function(node, "<lambda>", frame)

    def eval_NamedExpr(self, node: cst.NamedExpr, frame):
        value = self.eval(node.value, frame)
        self.assign(node.target, value, frame)
        return value

    def eval_ListComp(self, node, frame):
        return self.comprehension(node, frame, list)

    def eval_GeneratorExp(self, node, frame):
        return self.comprehension(node, frame, list)

    def eval_SetComp(self, node, frame):
        return self.comprehension(node, frame, set)

    def eval_DictComp(self, node, frame):
        return self.comprehension(node, frame, dict)

    def comprehension(self, node, frame, kind):
        inner = Frame(parent=frame)
        results = []

        def loop(clause):
            if clause is None:
                if kind is dict:
                    results.append((self.eval(node.key, inner), self.eval(node.value, inner)))
                else:
                    results.append(self.eval(node.elt, inner))
                self.check_size(len(results), node)
                return True
            items = self.iterate(self.eval(clause.iter, inner), clause.iter)
            if items is None:
                return False
            for item in items:
                self.tick(clause)
                self.assign(clause.target, item, inner)
                keep = True
                for condition in clause.ifs:
                    truth = self.truth(self.eval(condition.test, inner), condition.test)
                    if truth is None:
                        return False
                    keep = keep and truth
                if keep and not loop(clause.inner_for_in):
                    return False
            return True

        if not loop(node.for_in):
            return self.unknown("comprehension over unknown values", node)
        if kind is not list and builtin_values.costly(results):
            return self.unknown("comprehension of values too large to hash", node)
        if kind is not list and builtin_values.unsure_keys([r[0] for r in results] if kind is dict else results):
            return self.unknown("comprehension of values not known statically, which may be equal", node)
        try:
            return dict(results) if kind is dict else kind(results)
        except TypeError:
            return self.unknown("comprehension of unhashable values", node)

    def eval_Call(self, node: cst.Call, frame):
        function = self.eval(node.func, frame)
        args, kwargs = [], {}
        # A `*` or `**` of a value not known statically: how many arguments, and which, are not known.
        star = double_star = None
        for arg in node.args:
            value = self.eval(arg.value, frame)
            if arg.star == "*":
                items = self.iterate(value, arg, "*args from a value not known statically; the call's arguments are unknown")
                if items is None:
                    star = star or self.unknown("*args of a value not known statically", arg)
                    args.append(star)
                else:
                    args.extend(items)
            elif arg.star == "**":
                if isinstance(value, dict):
                    kwargs.update({k: v for k, v in value.items() if isinstance(k, str)})
                elif double_star is None:
                    reason = value.reason if _is_unknown(value) else f"** of {described(value)}"
                    self.report(Unresolved.code, f"**kwargs from a value not known statically; the call's arguments "
                                f"are unknown ({reason})", arg)
                    double_star = self.unknown("**kwargs of a value not known statically", arg)
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            else:
                args.append(value)
        if star is not None or double_star is not None:
            if isinstance(function, Function):
                return self.call_function(function, args, kwargs, node, star, double_star)
            if isinstance(function, BoundMethod) and isinstance(function.function, Function):
                return self.keras.classes.call_method(function.owner, function.cls, function.function, args, kwargs,
                                                      node, star, double_star)
            # A layer, a class, a builtin: what it is given is not known, nor how it changes a container it is of.
            if isinstance(function, Method):
                self.forget_container(function.owner, f"{function.name}() of values not known statically", node)
            return self.unknown(f"a call with {(star or double_star).reason}", node)
        return self.call(function, args, kwargs, node)

    def call(self, function, args, kwargs, node):
        if isinstance(function, Function):
            return self.call_function(function, args, kwargs, node)
        if isinstance(function, builtin_values.ExceptionClass):
            return function  # raising `ValueError("...")` needs only the class
        if isinstance(function, builtin_values.Builtin) and function.name == "super":
            return self.keras.classes.make_super(node)
        if _is_unknown(function):
            self.note_code_handed_over("a callable not known statically", args, kwargs, node)
            if function.reason.startswith("call of an unknown callable"):  # f.read().split(): say it once
                return function
            return self.unknown(f"call of an unknown callable ({function.reason})", node)
        try:
            if isinstance(function, builtin_values.Builtin):
                return function(self, args, kwargs, node)
            result = self.keras.call(function, args, kwargs, node)
        except builtin_values.PythonError as exc:
            raise UserException(exc.kind, *self.where(node), str(exc) if exc.library else None,
                                library=exc.library) from None
        if _is_unknown(result) and not (isinstance(function, Ref) and canonical(function.qualname).startswith(
                _TRAINING_TIME)):
            self.note_code_handed_over(f"{function.qualname}()" if isinstance(function, Ref) else described(function),
                                       args, kwargs, node)
        return result

    def note_code_handed_over(self, what: str, args, kwargs, node) -> None:
        """A function, layer or model of the checked code given to a call archlint does not follow
        (jax.value_and_grad(compute_loss), dataset.map(preprocess)) may have layers called on tensors there."""
        if self.keras.code_handed_over is not None:
            return
        values = [*args, *kwargs.values()]
        values += [item for value in values if isinstance(value, (list, tuple)) for item in value]
        if any(isinstance(value, (Function, BoundMethod, Layer)) for value in values):
            self.keras.code_handed_over = (self.position(node), what)

    # -- user functions -------------------------------------------------------------------

    def make_function(self, node, name: str, frame: Frame) -> Function:
        defaults, kw_defaults = {}, {}
        params = node.params
        for param in (*params.posonly_params, *params.params):
            if param.default is not None:
                defaults[param.name.value] = self.eval(param.default, frame)
        for param in params.kwonly_params:
            if param.default is not None:
                kw_defaults[param.name.value] = self.eval(param.default, frame)
        return Function(node, name, frame, defaults, kw_defaults, self.current_path)

    def call_function(self, function: Function, args, kwargs, node, star: Unknown | None = None,
                      double_star: Unknown | None = None):
        """`star`: a `*` of a value not known statically, in `args` where it was given: the positional parameters from
        there on, and *args, are unknown. `double_star`: a `**` of one: every parameter not given otherwise, and
        **kwargs, are unknown rather than their defaults."""
        if len(self.functions) >= MAX_CALL_DEPTH:
            return self.unknown(f"call depth above {MAX_CALL_DEPTH} (recursion?) at {function.name}()", node)
        frame = Frame(parent=function.closure)
        params = function.node.params
        positional = [*params.posonly_params, *params.params]
        args = list(args)
        kwargs = dict(kwargs)
        known_args = next((i for i, a in enumerate(args) if a is star), len(args)) if star is not None else len(args)
        for index, param in enumerate(positional):
            name = param.name.value
            if index < known_args:
                frame.names[name] = args[index]
            elif name in kwargs:
                frame.names[name] = kwargs.pop(name)
            elif star is not None or double_star is not None:
                frame.names[name] = star or double_star
            elif name in function.defaults:
                frame.names[name] = function.defaults[name]
            else:
                frame.names[name] = self.unknown(f"argument `{name}` of {function.name}() not given", node)
            if isinstance(frame.names[name], Unknown):
                frame.names[name] = self.data_numbers.bound(frame.names[name], name, self.line_of(param) or None)
        if isinstance(params.star_arg, cst.Param):
            frame.names[params.star_arg.name.value] = star if star is not None else tuple(args[len(positional):])
        for param in params.kwonly_params:
            name = param.name.value
            if name in kwargs:
                frame.names[name] = kwargs.pop(name)
            elif double_star is not None:
                frame.names[name] = double_star
            else:
                frame.names[name] = function.kw_defaults.get(name, self.unknown(f"argument `{name}` not given", node))
        if params.star_kwarg is not None:
            frame.names[params.star_kwarg.name.value] = kwargs if double_star is None else double_star
        elif kwargs and double_star is None and isinstance(node, cst.Call):
            # fpn_builder(..., dense_loop=3) without such a parameter: Python refuses the call the source makes (Keras
            # itself gives a layer's call() only the arguments its signature takes).
            raise UserException("TypeError", *self.where(node),
                                f"{function.name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
        call_line = self.line_of(node) if node is not None else None
        called = f"{function.name}() called at {self.line_label(call_line)}" if call_line else f"{function.name}()"
        self.chain.append(called)
        self.calls_made += 1
        self.call_ids.append(self.calls_made)
        self.functions.append(function.name)
        entered = self.entering(function.path, node)
        outer_path, self.current_path = self.current_path, function.path
        try:
            with _stopped_inside(lambda: called):
                if isinstance(function.node, cst.Lambda):
                    return self.eval(function.node.body, frame)
                self.exec_block(function.node.body, frame)
        except _Return as result:
            return result.value
        finally:
            self.current_path = outer_path
            if entered:
                self.entries.pop()
            self.chain.pop()
            self.call_ids.pop()
            self.functions.pop()
        return None

    # -- helpers --------------------------------------------------------------------------

    def truth(self, value, node, report: bool = True, consequence: str = "this branch is not analysed") -> bool | None:
        """Python truthiness of a known value; None (and AL301 saying the `consequence`) when it cannot be decided."""
        if _is_unknown(value) or isinstance(value, Tensor):
            if report:
                self.report(Unresolved.code,
                            f"condition cannot be decided statically; {consequence} "
                            f"({value.reason if _is_unknown(value) else 'it depends on tensor values'})", node)
            return None
        if isinstance(value, (list, tuple, dict, set)) and any(_is_unknown(v) for v in value):
            return bool(value)
        try:
            return bool(value)
        except Exception:
            return True

    def iterate(self, value, node, what: str = "loop over values not known statically; its body is not analysed"):
        """The items of an iterable value, or None (and AL301 saying `what` is lost) when they are not known."""
        if isinstance(value, (list, tuple, str, range, set, dict)):
            return list(value) if not isinstance(value, range) else value
        reason = value.reason if _is_unknown(value) else f"cannot iterate over {described(value)}"
        if node is not None:  # a builtin consuming it (node None) passes the reason on in its Unknown result
            self.report(Unresolved.code, f"{what} ({reason})", node)
        return None

    def check_size(self, size: int, node) -> None:
        if size > MAX_SEQUENCE:
            raise BudgetExceeded(*self.where(node))


_MUTATING_METHODS = {"append", "extend", "insert", "add", "update", "pop", "popitem", "remove", "discard",
                     "clear", "setdefault", "sort", "reverse"}


def _concrete_operands(left, right) -> bool:
    """Both sides of `y == 5` concrete: an array (not a symbolic tensor) and an array or a number."""
    def concrete(value):
        return isinstance(value, Tensor) and value.eager or \
            isinstance(value, (int, float)) and not isinstance(value, bool)
    return concrete(left) and concrete(right) and (isinstance(left, Tensor) or isinstance(right, Tensor))


class _ChangedNames(cst.CSTVisitor):
    """The names a block may rebind or change in place, and whether it may `return`.

    Nested functions and classes only bind their own name: their bodies run when called.
    """

    def __init__(self):
        self.names: set[str] = set()
        # Objects the block may change without rebinding a name: `self.norm = ...`, `self.attention.build(...)`.
        self.receivers: list[cst.BaseExpression] = []
        # Containers it may change in place: `table[key] = value`, `self.names.append(x)`, `items += [x]`.
        self.containers: list[cst.BaseExpression] = []
        self.returns = False
        self.leaves_loop = False  # a `break` or `continue` of the loop around the block
        self.inner_loops = 0

    def add_target(self, target) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.add_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self.add_target(target.value)
        elif isinstance(target, cst.Subscript):  # `table[key] = value` changes `table`
            self.containers.append(target.value)
            self.add_target(target.value)
        elif isinstance(target, cst.Attribute):
            self.receivers.append(target.value)

    def visit_AssignTarget(self, node):
        self.add_target(node.target)

    def visit_AnnAssign(self, node):
        self.add_target(node.target)

    def visit_AugAssign(self, node):
        self.containers.append(node.target)
        self.add_target(node.target)

    def visit_For(self, node):
        self.add_target(node.target)
        self.inner_loops += 1

    def leave_For(self, node):
        self.inner_loops -= 1

    def visit_While(self, node):
        self.inner_loops += 1

    def leave_While(self, node):
        self.inner_loops -= 1

    def visit_Break(self, node):
        self.leaves_loop = self.leaves_loop or not self.inner_loops

    def visit_Continue(self, node):
        self.leaves_loop = self.leaves_loop or not self.inner_loops

    def visit_AsName(self, node):
        self.add_target(node.name)

    def visit_NamedExpr(self, node):
        self.add_target(node.target)

    def visit_Call(self, node):
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _MUTATING_METHODS:
            self.containers.append(node.func.value)
            self.add_target(node.func.value)
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, (cst.Name, cst.Attribute)):
            self.receivers.append(node.func.value)

    def visit_Return(self, node):
        self.returns = True

    def visit_FunctionDef(self, node):
        self.names.add(node.name.value)
        return False

    def visit_ClassDef(self, node):
        self.names.add(node.name.value)
        return False

    def visit_Lambda(self, node):
        return False


# Installed libraries' modules as parsed, with their positions, by path: (reads.stat_key, module, positions).
# Parsing is most of what reading a library costs, and its syntax trees never change, so the files of one run
# (a directory, a notebook checked cell after cell) share them.
_LIBRARY_MODULES: dict[str, tuple] = {}
_LIBRARY_MODULES_KEPT = 1024


def _parsed(path: str, library: bool):
    """The module at `path` parsed, and its positions; a library's from memory when the file is unchanged."""
    version = reads.stat_key(path)
    kept = _LIBRARY_MODULES.get(path) if library else None
    if kept is not None and kept[0] == version:
        reads.read(path)
        return kept[1], kept[2]
    with open(path, "rb") as handle:
        data = handle.read()
    reads.read(path, data)
    module = parse(data)
    if not library:
        return module, cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = library_positions.positions(path, module)  # from the library cache when read before
    if len(_LIBRARY_MODULES) >= _LIBRARY_MODULES_KEPT:
        _LIBRARY_MODULES.clear()
    _LIBRARY_MODULES[path] = (version, module, positions)
    return module, positions


def _hasattr(evaluator: Evaluator, obj, name):
    """hasattr() where the answer is known statically: on plain values, on objects of the checked code's classes,
    and on Keras layers for a name that Keras's source defines nowhere (`_build_from_signature`)."""
    if not isinstance(name, str):
        raise builtin_values.NotEvaluated("hasattr() of a name not known statically")
    if isinstance(obj, (int, float, str, bool, list, tuple, dict, set, type(None))):
        return hasattr(obj, name)
    if isinstance(obj, (UserObject, UserLayer)):
        if name in obj.attrs or obj.cls.find(name)[1] is not None:
            return True
        if isinstance(obj, UserObject) and all(isinstance(base, UserClass) for c in obj.cls.mro() for base in c.bases):
            return False
    if isinstance(obj, (Layer, UserLayer)) and evaluator.keras_definitions is not None \
            and name not in evaluator.keras_definitions:
        return False
    raise builtin_values.NotEvaluated(f"whether the object has `{name}` is not known statically")


def _getattr(evaluator: Evaluator, obj, name, *default):
    """getattr(): the attribute where hasattr() knows it is there, the default where it knows it is not."""
    if len(default) > 1:
        raise TypeError(f"getattr expected at most 3 arguments, got {2 + len(default)}")
    present = _hasattr(evaluator, obj, name) if default else True
    if present:  # found at the getattr() call's arguments, the last node evaluated
        return evaluator.get_attribute(obj, name, evaluator.last_node)
    return default[0]


def _dunder_import(evaluator: Evaluator, name, globals=None, locals=None, fromlist=(), level=0):
    """__import__("1-resnet"): what `import` binds (a module whose name is no identifier is imported so); without
    a fromlist, a dotted name gives its top package, as `import a.b` binds `a`."""
    if not isinstance(name, str) or level != 0 or not isinstance(fromlist, (list, tuple)):
        raise builtin_values.NotEvaluated("an import not known statically")
    dotted = name if fromlist else name.split(".")[0]
    return evaluator.import_module(dotted, 0, evaluator.last_node) or Ref(dotted)


def _setattr(evaluator: Evaluator, obj, name, value):
    """setattr(): the attribute set where its name is known; else every attribute the object holds may be the one set,
    and each becomes unknown."""
    if isinstance(name, str):
        evaluator.keras.set_attribute(obj, name, value, evaluator.last_node)
        return None
    if isinstance(obj, (UserObject, UserLayer)):
        reason = f"setattr() on {obj.cls.name} of a name not known statically"
        obj.attrs.update(dict.fromkeys(obj.attrs, Unknown(reason)))
    raise builtin_values.NotEvaluated("setattr() of a name not known statically")


HASATTR = builtin_values.Builtin("hasattr", _hasattr)
GETATTR = builtin_values.Builtin("getattr", _getattr)
DUNDER_IMPORT = builtin_values.Builtin("__import__", _dunder_import)
SETATTR = builtin_values.Builtin("setattr", _setattr)


def _library_value(ref: Ref):
    """A library constant (math.pi, tf.newaxis) is its value; any other library name stays a reference."""
    return builtin_values.LIBRARY_CONSTANTS.get(ref.qualname, ref)


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""
