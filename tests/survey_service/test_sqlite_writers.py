"""SQLite writers queue for the write lock instead of sleeping on "database is locked"."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from survey_service import db, sqlite_writers


def _engine(tmp_path: Path) -> sa.Engine:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    return engine


def test_the_queue_is_held_from_the_first_write_to_the_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    queue = sqlite_writers.queue_for(str(tmp_path / "w.db"))
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()
        assert not conn.connection.dbapi_connection.holding  # reading takes no queue
        conn.execute(sa.text("INSERT INTO t (who) VALUES ('a')"))
        assert conn.connection.dbapi_connection.holding
        assert not queue._threads.acquire(blocking=False)  # taken: another writer would wait
        conn.commit()
        assert not conn.connection.dbapi_connection.holding
    assert queue._threads.acquire(blocking=False)  # free again
    queue._threads.release()
    assert (tmp_path / "w.db-writer.lock").exists()  # the lock other processes share
    engine.dispose()


def test_a_rollback_or_a_closed_connection_lets_the_queue_go(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    queue = sqlite_writers.queue_for(str(tmp_path / "w.db"))
    with engine.connect() as conn:
        conn.execute(sa.text("INSERT INTO t (who) VALUES ('a')"))
        conn.rollback()
    assert queue._threads.acquire(blocking=False)
    queue._threads.release()
    raw = engine.raw_connection()
    raw.cursor().execute("INSERT INTO t (who) VALUES ('b')")
    engine.dispose()  # nothing committed: the pool closes the connection
    raw.close()
    assert queue._threads.acquire(blocking=False)
    queue._threads.release()


def test_many_threads_writing_at_once_all_succeed_without_sleeping(tmp_path: Path) -> None:
    """Sixteen threads, 40 one-row transactions each, with SQLite's busy timeout at 0 (so a
    writer that found the database locked would fail at once instead of sleeping): every row
    is stored and none fails, because writers wait in the queue, never on SQLite's lock."""
    engine = _engine(tmp_path)
    sa.event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA busy_timeout=0"))
    engine.dispose()  # new connections, with the listener
    failures: list[BaseException] = []
    start = threading.Barrier(16)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(40):
                with engine.begin() as conn:
                    conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()
                    conn.execute(sa.text("INSERT INTO t (who) VALUES (:w)"), {"w": f"{n}-{i}"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT who FROM t")).scalars().all()
    assert len(rows) == 640 and len(set(rows)) == 640
    engine.dispose()


def test_an_in_memory_database_queues_within_the_process(tmp_path: Path) -> None:
    queue = sqlite_writers.queue_for(":memory:")
    assert queue._path is None and queue.acquire()
    queue.release()
