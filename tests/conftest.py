from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from dupdetect.cli import cli

# CI runs the same examples every time (HYPOTHESIS_PROFILE=ci in .ci/run), so a red build is
# never a roll of the dice; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite fixtures/expected/* from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def invoke():
    """Run the CLI in-process; on an unexpected exit code show stdout, stderr and the exception."""
    runner = CliRunner()

    def run(args: list[str], exit_code: int = 0, **kwargs) -> Result:
        result = runner.invoke(cli, [str(a) for a in args], **kwargs)
        if result.exit_code != exit_code:
            import traceback

            detail = (
                "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
            )
            raise AssertionError(
                f"exit code {result.exit_code} != {exit_code}\n--- stdout\n{result.stdout}"
                f"\n--- stderr\n{result.stderr}\n--- exception\n{detail}"
            )
        return result

    return run
