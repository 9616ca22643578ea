"""The CLI's malloc settings reach this process and the processes it starts, and never override the user's."""

import json
import os
import subprocess
import sys

import pytest

from seld.runtime import MALLOC_SETTINGS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")

_PROBE = """
import json, os, subprocess, sys
from seld.runtime import MALLOC_SETTINGS, keep_freed_memory
applied = keep_freed_memory()
code = "import json, os, sys; print(json.dumps({k: os.environ.get(k) for k in sys.argv[1:]}))"
child = subprocess.run([sys.executable, "-c", code, *MALLOC_SETTINGS], capture_output=True, text=True, check=True)
print(json.dumps([applied, json.loads(child.stdout)]))
"""


def _run(env: dict) -> tuple[list, dict]:
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return tuple(json.loads(out.stdout))


def test_settings_applied_and_inherited():
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_SETTINGS}
    applied, child = _run(env)
    assert applied == list(MALLOC_SETTINGS)
    assert child == {k: str(v) for k, (_, v) in MALLOC_SETTINGS.items()}


def test_user_settings_kept():
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_SETTINGS}
    env["MALLOC_TRIM_THRESHOLD_"] = "12345"
    applied, child = _run(env)
    assert applied == ["MALLOC_MMAP_THRESHOLD_"]
    assert child["MALLOC_TRIM_THRESHOLD_"] == "12345"
