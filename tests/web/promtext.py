"""A strict little reader of the Prometheus text format 0.0.4, for asserting on /metrics.

It rejects what a Prometheus server would: samples before their family's TYPE, a TYPE given
twice, malformed label sets, values that are not numbers, and histogram buckets that are not
cumulative or lack +Inf.
"""
import re

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
_SUFFIXES = ("_bucket", "_sum", "_count")


def _labels(text):
    out, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        assert m, f"bad label set: {text!r}"
        out[m.group(1)] = m.group(2).replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        pos = m.end()
    return out


def _family_of(name, families):
    if name in families:
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and families.get(name[:-len(suffix)], {}).get("type") == "histogram":
            return name[:-len(suffix)]
    raise AssertionError(f"sample {name} has no TYPE line before it")


def parse(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}."""
    assert text.endswith("\n")
    families, seen_types = {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            families.setdefault(name, {"type": None, "help": None, "samples": []})["help"] = help_text
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name not in seen_types, f"TYPE given twice for {name}"
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            seen_types.add(name)
            family = families.setdefault(name, {"type": None, "help": None, "samples": []})
            assert not family["samples"], f"TYPE after samples for {name}"
            family["type"] = kind
        elif line.strip():
            m = _SAMPLE.match(line)
            assert m, f"bad sample line: {line!r}"
            name, labels, value = m.group(1), _labels(m.group(2) or ""), m.group(3)
            number = float(value.replace("+Inf", "inf"))
            families[_family_of(name, families)]["samples"].append((name, labels, number))
    for name, family in families.items():
        if family["type"] == "histogram":
            _check_histogram(name, family["samples"])
    return families


def _check_histogram(name, samples):
    series = {}
    for sample_name, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        series.setdefault(key, []).append((sample_name, labels, value))
    for key, rows in series.items():
        buckets = [(float(lbls["le"].replace("+Inf", "inf")), v) for n, lbls, v in rows if n == name + "_bucket"]
        assert buckets and buckets[-1][0] == float("inf"), f"{name}{key}: no +Inf bucket"
        assert [b for b, _ in buckets] == sorted(b for b, _ in buckets), f"{name}{key}: bounds out of order"
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), f"{name}{key}: buckets not cumulative"
        count = next(v for n, _, v in rows if n == name + "_count")
        assert count == buckets[-1][1], f"{name}{key}: _count != +Inf bucket"


def value(families, sample, **labels):
    """The one value of `sample` (a family name, or a histogram's _bucket/_sum/_count) whose labels
    include `labels`."""
    family = families[_family_of(sample, families)]
    hits = [v for n, lbls, v in family["samples"]
            if n == sample and all(lbls.get(k) == w for k, w in labels.items())]
    assert len(hits) == 1, f"{sample} {labels}: {len(hits)} samples in {family['samples']}"
    return hits[0]


def total(families, sample, **labels):
    """The sum over every series of `sample` whose labels include `labels` (PromQL's sum()); at
    least one must match."""
    family = families[_family_of(sample, families)]
    hits = [v for n, lbls, v in family["samples"]
            if n == sample and all(lbls.get(k) == w for k, w in labels.items())]
    assert hits, f"{sample} {labels}: no sample in {family['samples']}"
    return sum(hits)
