"""Plain terminal IPython (no kernel, no widgets): %%llm streams text to stdout."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from IPython.terminal.interactiveshell import TerminalInteractiveShell
    shell = TerminalInteractiveShell.instance()
    shell.run_cell("%load_ext nbstream")
    shell.run_cell("%llm_offline --ttft 0.01 --rate 2000")
    shell.run_cell("%%llm --out r\\nhello [[sim: tokens=25]]")
    shell.run_cell("print('STATUS', r.status, r.usage.output_tokens, len(r.text))")
    shell.run_cell("%%llm\\nhello [[sim: status=401]]")
    """
)


def test_terminal_ipython_streams_text_and_a_summary_line():
    env_clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env_clean
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    status = next(line for line in lines if line.startswith("STATUS"))
    _, state, tokens, chars = status.split()
    assert (state, tokens) == ("done", "25") and int(chars) > 50
    summary = [line for line in lines if line.startswith("[claude-haiku-5-5")]
    assert len(summary) == 2
    assert "25 tokens out" in summary[0] and "simulated" in summary[0]
    assert "failed" in summary[1] and "authentication_error" in summary[1]
    assert "Traceback" not in out.stdout + out.stderr


def test_approve_in_a_terminal_is_a_one_line_error():
    """A terminal has no Approve / Deny to click while the cell awaits: said at once, nothing sent."""
    script = textwrap.dedent(
        """
        from IPython.terminal.interactiveshell import TerminalInteractiveShell
        shell = TerminalInteractiveShell.instance()
        shell.run_cell("%load_ext nbstream")
        shell.run_cell("%llm_offline --ttft 0.01 --rate 2000")
        shell.run_cell("def lookup(term: str) -> str:\\n    '''Look up.'''\\n    return term")
        shell.run_cell("%%llm --tools lookup --approve\\nLook up TCP [[sim: tool_calls=1]]")
        """
    )
    env_clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": ""}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env_clean)
    assert out.returncode == 0, out.stderr
    assert "--approve needs a notebook front end for its Approve / Deny buttons; not in a terminal" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr and "[claude-" not in out.stdout
