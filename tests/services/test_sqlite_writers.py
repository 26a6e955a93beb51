"""SQLite writers of one process queue on a lock instead of polling in SQLite's busy handler (which
sleeps 1, 2, 5 … 100 ms between tries): the next writer starts as soon as the previous one ended,
a failed one gives the lock back, and a writer in another process is still waited for."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import create_db_engine


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "writers.db"


def _engine(path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    return engine


def test_queued_writers_follow_each_other_without_the_busy_handlers_sleeps(path: Path) -> None:
    engine = _engine(path)
    hold = 0.004
    per_thread, threads = 25, 4
    waits: list[float] = []

    def write() -> None:
        for n in range(per_thread):
            asked = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                waits.append(time.perf_counter() - asked)
                time.sleep(hold)  # the write lock is held meanwhile

    workers = [threading.Thread(target=write) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - started
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == per_thread * threads
    engine.dispose()
    # 100 writes holding the lock 4 ms each: 0.4 s back to back, and no writer waits much longer
    # than the other three take. Polling, the thread that just committed gets straight back in while
    # the others sleep ever longer (measured without the queue: longest wait ~540 ms; with it 30-45).
    assert took < 2
    assert max(waits) < 0.25


def test_a_rolled_back_writer_lets_the_next_one_in(path: Path) -> None:
    engine = _engine(path)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("the service failed")
    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (2)"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(2)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t")).scalars().all() == [2]
    engine.dispose()


def test_a_writer_in_another_process_is_still_waited_for(path: Path) -> None:
    engine = _engine(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    with engine.begin() as connection:  # waits in the busy handler until the other one commits
        connection.execute(text("INSERT INTO t VALUES (2)"))
    other.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    engine.dispose()
