#!/usr/bin/env python3
"""Prints line and branch coverage per class from a coverlet Cobertura report.
Usage: coverage.py coverage.cobertura.xml Class [Class ...]   (short names; nested and lambda classes count as their parent)"""
import re
import sys
import xml.etree.ElementTree as ET

report, wanted = sys.argv[1], sys.argv[2:]
lines, branches = {}, {}
for element in ET.parse(report).getroot().iter("class"):
    short = element.get("name").split("/")[0].rsplit(".", 1)[-1]
    if short not in wanted:
        continue
    for line in element.iter("line"):
        # One source line may appear under several classes (lambdas, state machines): count it once.
        key = (element.get("filename"), line.get("number"))
        hits = lines.setdefault(short, {})
        hits[key] = max(hits.get(key, 0), int(line.get("hits")))
        match = re.search(r"\((\d+)/(\d+)\)", line.get("condition-coverage") or "")
        if match:
            branches.setdefault(short, {})[key] = (int(match.group(1)), int(match.group(2)))

print(f"{'class':<20} {'lines':>14} {'branches':>14}")
for short in wanted:
    hits = lines.get(short, {})
    covered = sum(1 for count in hits.values() if count > 0)
    taken = sum(done for done, _ in branches.get(short, {}).values())
    possible = sum(total for _, total in branches.get(short, {}).values())
    print(f"{short:<20} {covered:>4}/{len(hits):<4} {100 * covered / max(len(hits), 1):3.0f}% "
          f"{taken:>4}/{possible:<4} {100 * taken / max(possible, 1):3.0f}%")
