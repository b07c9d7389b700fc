"""Merge the Prometheus expositions of an instance's workers into one.

Counters, histograms and summaries add up per label set; gauges of work in progress
(``*_in_flight``, ``*_open``) add up, other gauges (table age, counts of services) take
the largest value; ``*_created`` timestamps take the earliest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["merge_metrics"]

_SUMMED_GAUGES = ("_in_flight", "_inflight", "_open", "_pending")


def _combine(family: Metric, sample_name: str, old: float, new: float) -> float:
    if sample_name.endswith("_created"):
        return min(old, new)
    if family.type == "gauge" and not family.name.endswith(_SUMMED_GAUGES):
        return max(old, new)
    return old + new


def merge_metrics(texts: Iterable[bytes]) -> bytes:
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text.decode()):
            merged = families.get(family.name)
            if merged is None:
                merged = families[family.name] = Metric(
                    family.name, family.documentation, family.type, family.unit
                )
                values[family.name] = {}
            per = values[family.name]
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                per[key] = (
                    sample.value if key not in per else _combine(merged, sample.name, per[key], sample.value)
                )
    for name, family in families.items():
        for (sample_name, labels), value in values[name].items():
            family.add_sample(sample_name, dict(labels), value)

    class _Merged:
        def collect(self) -> Iterator[Metric]:
            yield from families.values()

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged())
    return generate_latest(registry)
