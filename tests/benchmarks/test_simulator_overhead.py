"""The simulator benchmark runs and reports its figures (a smoke run, not a timing)."""

from benchmarks import simulator_overhead


def test_measure_reports_both_rates_and_their_ratio():
    numbers = simulator_overhead.measure(pairs=2, messages=3, rounds=2)
    assert numbers["messages per round"] == 6
    assert numbers["simulator messages/s"] > 0
    assert numbers["bare test client messages/s"] > 0
    ratio = numbers["simulator messages/s"] / numbers["bare test client messages/s"]
    assert numbers["simulator / bare (throughput ratio)"] == ratio


def test_main_prints_one_line_per_figure(capsys):
    assert simulator_overhead.main(["--pairs", "1", "--messages", "2", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        "messages per round",
        "rounds",
        "simulator messages/s",
        "bare test client messages/s",
        "simulator / bare (throughput ratio)",
        "simulator µs per message",
        "bare µs per message",
        "simulator overhead µs per message",
    ]
