"""Print the throughput and allocation tables of docs/performance.md from JMH JSON results.

Usage: python3 median.py RUN.json [RUN.json ...]
Each cell is the median over the runs, with the lowest and highest run in brackets.
"""
import collections
import json
import statistics
import sys

TITLES = {
    "sluice": "Sluice",
    "sluiceAllowed": "Sluice, `tryAcquireAllowed`",
    "sluiceDecision": "Sluice, `Decision` kept",
    "bucket4j": "Bucket4j",
    "guava": "Guava",
}


def load(paths):
    scores = collections.defaultdict(list)
    allocations = collections.defaultdict(list)
    floors = collections.defaultdict(list)
    cases = []
    for path in paths:
        with open(path) as file:
            for result in json.load(file):
                cls, method = result["benchmark"].split(".")[-2:]
                if cls == "DecisionFloor":
                    floors[method].append(result["primaryMetric"]["score"])
                    continue
                params = result["params"]
                threads = "1" if cls == "OneThread" else "2"
                case = (threads, params["keyCount"], params["outcome"])
                if case not in cases:
                    cases.append(case)
                scores[case, method].append(result["primaryMetric"]["score"])
                norm = result["secondaryMetrics"]["gc.alloc.rate.norm"]["score"]
                allocations[case, method].append(norm)
    return cases, scores, allocations, floors


def main(paths):
    cases, scores, allocations, floors = load(paths)
    methods = [m for m in TITLES if any(scores[case, m] for case in cases)]
    titles = " | ".join(TITLES[m] for m in methods)
    rule = "|---:|---:|---|" + "---:|" * len(methods)
    print("| threads | keys | outcome | %s | Sluice ÷ faster peer |" % titles)
    print(rule + "---:|")
    for case in cases:
        median = {m: statistics.median(scores[case, m]) for m in methods}
        cells = []
        for method in methods:
            runs = sorted(scores[case, method])
            cells.append("%.1f (%.1f–%.1f)" % (median[method], runs[0], runs[-1]))
        peer = "Bucket4j" if median["bucket4j"] > median["guava"] else "Guava"
        ratio = median["sluice"] / max(median["bucket4j"], median["guava"])
        print("| %s | %s | %s | %s | %.2f (%s) |" % (*case, " | ".join(cells), ratio, peer))
    print()
    print("| threads | keys | outcome | %s |" % titles)
    print(rule)
    for case in cases:
        cells = ["%.0f" % statistics.median(allocations[case, m]) for m in methods]
        print("| %s | %s | %s | %s |" % (*case, " | ".join(cells)))
    if floors:
        print()
        print("| floor | per µs |")
        print("|---|---:|")
        for method, runs in floors.items():
            print("| %s | %.1f |" % (method, statistics.median(runs)))


if __name__ == "__main__":
    main(sys.argv[1:])
