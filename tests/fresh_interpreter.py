"""Calls in a fresh interpreter without starting one per call.

One interpreter runs the set-up code (its imports) once; each call then runs in a fork of it, so a call
sees the interpreter exactly as the set-up left it, never what an earlier call did, as a new
`python -c` would, but without a second or so of start-up and imports each time. Where the platform
cannot fork, every call gets an interpreter of its own.
"""

import json
import os
import select
import subprocess
import sys

SERVER = r"""
import json, os, sys, traceback
namespace = {"__name__": "__main__"}
exec(compile(sys.argv[1], "<setup>", "exec"), namespace)
function = namespace[sys.argv[2]]


def answer(arguments):
    try:
        return {"result": function(*arguments)}
    except BaseException:
        return {"error": traceback.format_exc()}


for line in sys.stdin:
    arguments = json.loads(line)
    if not hasattr(os, "fork"):
        reply = json.dumps(answer(arguments))
    else:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            with os.fdopen(write, "w") as out:
                out.write(json.dumps(answer(arguments)))
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as replies:
            reply = replies.read()
        _, status = os.waitpid(pid, 0)
        reply = reply or json.dumps({"error": f"the forked interpreter ended with status {status}, no answer"})
    sys.stdout.write(reply + "\n")
    sys.stdout.flush()
"""


class FreshInterpreter:
    """`FreshInterpreter(setup, "measure")(path)` is `measure(path)` run in a fresh interpreter after `setup`.

    Arguments and the result travel as JSON. An exception in the call is an AssertionError here, with
    the call's traceback.
    """

    def __init__(self, setup: str, function: str, timeout: float = 600):
        self._command = [sys.executable, "-c", SERVER, setup, function]
        self._timeout = timeout
        self._server = None

    def __call__(self, *arguments):
        if not hasattr(os, "fork"):
            done = subprocess.run(self._command, input=json.dumps(arguments) + "\n", capture_output=True, text=True,
                                  timeout=self._timeout)
            assert done.returncode == 0 and done.stdout, done.stderr[-2000:]
            return self._result(done.stdout)
        if self._server is None:
            self._server = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._server.stdin.write(json.dumps(arguments) + "\n")
        self._server.stdin.flush()
        ready, _, _ = select.select([self._server.stdout], [], [], self._timeout)
        assert ready, f"no answer in {self._timeout} s"
        return self._result(self._server.stdout.readline())

    @staticmethod
    def _result(line: str):
        assert line, "the interpreter ended without an answer"
        reply = json.loads(line)
        assert "error" not in reply, reply["error"][-2000:]
        return reply["result"]

    def close(self):
        if self._server is not None:
            self._server.stdin.close()
            self._server.wait(timeout=60)
            self._server = None
