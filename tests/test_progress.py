"""mining.progress: one helper for progress and timings (terminal, log lines, off)."""

from __future__ import annotations

import logging
import re

from mining.progress import Progress


def test_progress_off_records_timings_and_prints_nothing(capsys):
    progress = Progress.off()
    with progress.stage("embed", "Embedding 3 units"), progress.task("Embedding", 3) as task:
        task.advance(3)
    assert set(progress.timings) == {"embed"} and progress.timings["embed"] >= 0
    assert capsys.readouterr().err == ""


def test_progress_log_mode_logs_stage_start_end_and_task_lines(caplog):
    progress = Progress(terminal=False, interval=0.0)
    with caplog.at_level(logging.INFO, logger="mining.progress"):
        with progress.stage("themes", "Finding themes (10 units)"):
            with progress.task("Embedding", total=10) as task:
                task.advance(4)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "start themes: Finding themes (10 units)"
    assert lines[-1].startswith("done themes in ")
    assert any(line.startswith("Embedding: 4/10 (") and "s left" in line for line in lines)


def test_progress_log_mode_rate_limits_task_lines(caplog):
    progress = Progress(terminal=False, interval=3600.0)
    with caplog.at_level(logging.INFO, logger="mining.progress"):
        with progress.task("Embedding", total=1000) as task:
            for _ in range(100):
                task.advance(10)
    assert caplog.records == []  # nothing within the interval


def test_progress_terminal_mode_shows_stage_and_time(capsys, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    progress = Progress(terminal=True)
    with progress.stage("stages", "Tagging stages"), progress.task("Embedding", 2) as task:
        task.advance(2)
    err = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().err)
    assert "✓ stages" in err and "Tagging stages" in err and progress.mode == "terminal"


def test_progress_log_mode_heartbeat_names_silent_work(caplog):
    """Work without a count (fitting themes) still logs a line at least every interval."""
    import time

    progress = Progress(terminal=False, interval=1.0)
    with caplog.at_level(logging.INFO, logger="mining.progress"):
        with progress.stage("themes", "Finding themes"), \
                progress.status("Finding objection themes (10 units)"):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                    "still running" in r.getMessage() for r in caplog.records):
                time.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[1] == "Finding objection themes (10 units)"
    beat = [line for line in lines if "still running" in line]
    assert beat and beat[0].startswith("Finding objection themes (10 units): still running (")
    assert lines[-1].startswith("done themes in ")


def test_progress_log_mode_heartbeat_gives_an_open_tasks_count_and_rate(caplog):
    """Between a slow task's own lines (batches slower than the interval) the heartbeat logs
    the task's count, rate and time left, not only 'still running'."""
    import time

    progress = Progress(terminal=False, interval=1.0)
    with caplog.at_level(logging.INFO, logger="mining.progress"):
        with progress.stage("embed", "Embedding"), progress.task("Embedding", 10) as task:
            task.advance(2)  # within the interval: no line of its own
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                    r.getMessage().startswith("Embedding: 2/10 (") for r in caplog.records):
                time.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("Embedding: 2/10 (") and "s left" in line for line in lines)


def test_progress_log_mode_status_of_work_side_by_side_logs_a_line_each(caplog):
    """Theme kinds fitted on threads share one status: one log line per kind, one heartbeat."""
    import time

    progress = Progress(terminal=False, interval=1.0)
    what = "Finding objection themes (10 units)\nFinding intent themes (20 units)"
    with caplog.at_level(logging.INFO, logger="mining.progress"):
        with progress.stage("themes", "Finding themes"), progress.status(what):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                    "still running" in r.getMessage() for r in caplog.records):
                time.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[1:3] == what.splitlines()
    assert all("\n" not in line for line in lines)
    assert any(line.startswith("Finding objection themes (10 units); Finding intent themes "
                               "(20 units): still running (") for line in lines)


def test_progress_note_says_each_line_once_from_another_thread(caplog, capsys, monkeypatch):
    """Work beside the running step (background theme fits) notes its lines without a spinner:
    a log line each in log mode, a printed line each on a terminal, nothing when off."""
    import threading

    what = "Finding objection themes (10 units)\nFinding intent themes (20 units)"
    progress = Progress(terminal=False)
    with caplog.at_level(logging.INFO, logger="mining.progress"):
        with progress.stage("stages", "Tagging journey stages"):
            worker = threading.Thread(target=progress.note, args=(what,))
            worker.start()
            worker.join()
    assert [r.getMessage() for r in caplog.records][1:3] == what.splitlines()
    assert progress._doing == []  # the note left the heartbeat's stack alone
    Progress(terminal=True).note(what)
    assert capsys.readouterr().err.splitlines() == ["  " + line for line in what.splitlines()]
    Progress.off().note(what)
    assert capsys.readouterr().err == ""
