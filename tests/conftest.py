"""Shared fixtures: the shipped data, one reused Briefgen, the example briefings rendered once."""

from __future__ import annotations

import fcntl
import io
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from briefgen import resources
from briefgen.options import Options
from briefgen.output import pdf_name
from briefgen.pipeline import Briefgen

EXAMPLES = ["region-x", "kommun-y", "myndighet-z"]


@pytest.fixture(scope="session")
def bg() -> Briefgen:
    return Briefgen(Options())


@pytest.fixture(scope="session")
def bundle(bg):
    return bg.bundle


@pytest.fixture(scope="session")
def keys(bundle) -> list[str]:
    """The survey's answer columns, in the framework's order."""
    from briefgen.survey.columns import answer_columns

    return [c.key for c in answer_columns(bundle.framework)]


@pytest.fixture(scope="session")
def region_x_profile() -> dict:
    return yaml.safe_load((resources.data_dir() / "orgs" / "region-x.yaml").read_text("utf-8"))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, worker_id, bg) -> dict[tuple[str, str], Path]:
    """Every example organisation in both languages, rendered once for the whole session.

    Under pytest-xdist every worker has its own session: the first to get here renders into a
    folder all workers share, under a lock; the others wait for it and read the same files.
    """
    if worker_id == "master":  # no xdist
        out = tmp_path_factory.mktemp("briefings")
        return {(org, lang): bg.make(org, out=out, lang=lang).path
                for org in EXAMPLES for lang in ("sv", "en")}
    out = tmp_path_factory.getbasetemp().parent / "briefings"
    out.mkdir(exist_ok=True)
    with (out / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (out / ".done").exists():
            for org in EXAMPLES:
                for lang in ("sv", "en"):
                    bg.make(org, out=out, lang=lang)
            (out / ".done").touch()
    return {(org, lang): out / pdf_name(org, lang)
            for org in EXAMPLES for lang in ("sv", "en")}


def run_cli(*args: str, env: dict[str, str] | None = None):
    """Run the CLI in-process; check there is no traceback and no escaped exception."""
    from click.testing import CliRunner

    from briefgen.cli import cli

    result = CliRunner(env=env).invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def pdf_text(path_or_bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A writable copy of the shipped data folder, for profiles a test writes."""
    target = tmp_path / "data"
    shutil.copytree(resources.data_dir(), target)
    return target


def write_profile(data_dir: Path, profile: dict, name: str | None = None) -> Path:
    path = data_dir / "orgs" / f"{name or profile['id']}.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), "utf-8")
    return path


@pytest.fixture
def thread_child():
    """The sandboxed child this thread keeps (render_task_limited, as on a Dask worker),
    closed afterwards."""
    from briefgen.batch import runner

    yield
    pool = getattr(runner._SANDBOXES, "pool", None)
    if pool is not None:
        pool.close()
        del runner._SANDBOXES.pool
