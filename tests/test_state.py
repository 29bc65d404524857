"""state.json under two processes: runs take turns, records are never lost."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ssoctl.errors import BusyError
from ssoctl.state import Registration, StateFile, exclusive_run


def _put_many(home: str, worker: int, count: int) -> None:
    state = StateFile(Path(home))
    for n in range(count):
        state.put(Registration("emnify", f"w{worker}-{n}", f"ssoctl-w{worker}-{n}", "t", "app", "obj"))


def test_concurrent_writers_lose_no_record(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_put_many, args=(str(tmp_path), w, 15)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(StateFile(tmp_path).all()) == 45


def test_a_second_run_waits_then_says_who_holds_the_home(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from ssoctl.state import exclusive_run
                with exclusive_run(Path({str(tmp_path)!r}), command="ssoctl azure register --portal emnify"):
                    print("held", flush=True)
                    sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waited: list[float] = []
        with (
            pytest.raises(BusyError) as busy,
            exclusive_run(tmp_path, command="x", wait=0.3, sleep=waited.append),
        ):
            pass
        assert busy.value.exit_code == 1
        assert "another ssoctl run is in progress" in busy.value.message
        assert "ssoctl azure register --portal emnify" in busy.value.message
        assert waited and all(w == 0.1 for w in waited)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(30)
    with exclusive_run(tmp_path, command="x", wait=0):  # free again once the holder is gone
        pass


def test_version_1_state_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(
        '{"version": 1, "registrations": {"t/ssoctl-emnify": {"portal": "emnify", "displayName": "emnify",'
        ' "uniqueName": "ssoctl-emnify", "tenantId": "t", "appId": "a", "objectId": "o", "secret": null}}}'
    )
    (reg,) = StateFile(tmp_path).all()
    assert reg.resources == {} and reg.app_id == "a"


def test_a_secret_predates_a_record_only_when_it_started_before_it_and_no_run_of_it_left_its_name() -> None:
    from ssoctl.graph.mapping import parse_graph_datetime

    record = Registration(
        "emnify", "emnify", "ssoctl-emnify", "t", "a", "o", created="2026-12-02T03:10:04.500000Z"
    )
    before, after = (
        parse_graph_datetime("2026-12-02T03:10:04.4Z"),
        parse_graph_datetime("2026-12-02T03:10:05Z"),
    )
    assert record.predates(before, "ssoctl 2026-12-02 abc")
    assert not record.predates(after, "ssoctl 2026-12-02 abc")
    pending = Registration(**{**record.__dict__, "pending": ("ssoctl 2026-12-02 abc",)})
    assert not pending.predates(before, "ssoctl 2026-12-02 abc")  # an interrupted run of this record
    older = Registration(**{**record.__dict__, "created": None})  # written by an older ssoctl
    assert not older.predates(before, "ssoctl 2026-12-02 abc")
