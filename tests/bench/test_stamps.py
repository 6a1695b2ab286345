"""Start stamps: an item started twice is the bus's error, and a peer's counted repeat."""

import pytest

from bench.noop.stamps import StampReader


@pytest.fixture
def stamps(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_STAMP_DIR", str(tmp_path))
    (tmp_path / "run-1.txt").write_text("0 10.5\n1 10.7\n")
    (tmp_path / "run-2.txt").write_text("1 10.6\n2 10.9\n3 11")  # the last line is still being written
    return tmp_path


def test_an_item_started_twice_fails_the_bus_run(stamps):
    reader = StampReader("run")

    assert reader.count() == 4  # lines, complete ones only
    with pytest.raises(AssertionError, match="item 1 started twice"):
        reader.read()


def test_a_peer_run_counts_each_item_once_and_keeps_its_first_start(stamps):
    reader = StampReader("run", repeats_allowed=True)

    assert reader.count() == 3
    assert reader.read() == {0: 10.5, 1: 10.6, 2: 10.9}
    assert reader.repeated == 1
