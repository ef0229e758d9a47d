"""The checked-in types match the schema: regenerating changes nothing, and the tables cover the spec."""

import subprocess
import sys
from pathlib import Path

from dapattach.protocol import types

ROOT = Path(__file__).resolve().parents[2]


def test_types_are_up_to_date_with_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "tools/gen_dap_types.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_tables_cover_requests_and_events() -> None:
    assert types.REQUESTS["initialize"] == (types.InitializeRequestArguments, types.Capabilities)
    assert types.REQUESTS["threads"] == (types.EmptyArguments, types.ThreadsResponseBody)
    assert types.REQUESTS["runInTerminal"][1] is types.RunInTerminalResponseBody
    assert types.EVENTS["stopped"] is types.StoppedEventBody and types.EVENTS["initialized"] is None
    assert len(types.REQUESTS) == 45 and len(types.EVENTS) == 17
