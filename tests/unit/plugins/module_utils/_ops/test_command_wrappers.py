"""instance_command's pure parts on the core side: wrapping content for `then`, and the script's interpreter."""
import subprocess

import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.command import shebang_interpreter, wrap_for_then


def run_sh(script, tmp_path):
    path = tmp_path / "script.sh"
    path.write_text(script)
    proc = subprocess.run(["/bin/bash", str(path)], capture_output=True, text=True, timeout=10, check=False)
    return proc.returncode, proc.stdout


# --- then: the shell wrapper, really run ---

@pytest.mark.parametrize("content, code, output", [
    ("echo hello", 194, "hello\n"),                     # success -> the agent's restart code
    ("echo hello\nexit 0\n", 194, "hello\n"),           # an explicit exit 0 still restarts
    ("echo hello; exit 3", 3, "hello\n"),               # the user's own status wins
    ("false", 1, ""),                                   # last command failed
    ("set -e\nfalse\necho never", 1, ""),
    ("true # a comment at the very end", 194, ""),      # no newline after a comment: the subshell still closes
    ("cat <<EOF\n)\nEOF", 194, ")\n"),                  # a heredoc with a parenthesis
    ("case x in x) echo matched;; esac", 194, "matched\n"),
    ("#!/bin/bash\necho $BASH_VERSION | cut -c1", 194, None),
])
def test_shell_wrapper_restarts_only_on_success_and_keeps_the_users_status(content, code, output, tmp_path):
    wrapped = wrap_for_then(content, "RunShellScript", 194)
    rc, out = run_sh(wrapped, tmp_path)
    assert rc == code
    if output is not None:
        assert out == output


def test_shell_wrapper_keeps_a_shebang_first():
    wrapped = wrap_for_then("#!/bin/bash\necho hi\n", "RunShellScript", 193)
    assert wrapped.startswith("#!/bin/bash\n(\necho hi\n)\n")
    assert wrapped.endswith('[ "$__cf_rc" -eq 0 ] && exit 193\nexit "$__cf_rc"\n')


def test_windows_wrappers_end_in_the_agents_exit_code_line():
    ps = wrap_for_then("Get-Service", "RunPowerShellScript", 3010)
    assert ps == "Get-Service\nif (-not $?) { if ($LASTEXITCODE) { exit $LASTEXITCODE }; exit 1 }\nexit 3010\n"
    bat = wrap_for_then("dir C:\\\r\n", "RunBatScript", 3009)
    assert bat == 'dir C:\\\r\n@if not "%ERRORLEVEL%"=="0" exit %ERRORLEVEL%\r\nexit 3009\r\n'


@pytest.mark.parametrize("content, expected", [
    ("#!/bin/bash\n", "bash"), ("#!/usr/bin/env python3\n", "python3"), ("#! /bin/sh -e\n", "sh"), ("echo\n", None),
])
def test_shebang_interpreter(content, expected):
    assert shebang_interpreter(content) == expected
