"""Readable text for the check and update results."""

from __future__ import annotations

from .diff import Change
from .refresh import ServiceResult


def render(results: list[ServiceResult]) -> str:
    """One block per WSDL, nested entries of an added or removed item folded into it."""
    lines: list[str] = []
    for result in results:
        head = f"{result.family} / {result.file} ({result.source})"
        if result.note:
            lines.append(f"{head}: {result.note}")
            continue
        if not result.changes:
            lines.append(f"{head}: no difference")
            continue
        count = len(result.changes)
        lines.append(f"{head}: {count} difference{'s' if count != 1 else ''}")
        lines.extend(_change_lines(result.changes))
    differing = sum(1 for result in results if result.changes)
    if differing:
        lines.append(
            f"{differing} WSDL file{'s' if differing != 1 else ''} differ from the vendored "
            "copies: review the changes, then run `scripts/update_wsdl update` and the tests"
        )
    else:
        lines.append("the vendored WSDL files match what the server publishes")
    return "\n".join(lines)


def _change_lines(changes: list[Change]) -> list[str]:
    lines: list[str] = []
    folded: dict[str, int] = {}
    heads: dict[str, Change] = {}
    for change in changes:
        parent = _folding_parent(change, heads)
        if parent is not None:
            folded[parent] = folded.get(parent, 0) + 1
            continue
        heads[change.path] = change
    for change in heads.values():
        lines.append(f"  {change.kind:<8} {change.path}")
        if change.kind == "changed":
            lines.append(f"           before: {change.before}")
            lines.append(f"           after:  {change.after}")
        else:
            lines.append(f"           {change.before if change.after is None else change.after}")
        if folded.get(change.path):
            lines.append(f"           (and {folded[change.path]} nested entries {change.kind})")
        lines.append(f"           touches: {', '.join(change.touches) or 'nothing in the client'}")
    return lines


def _folding_parent(change: Change, heads: dict[str, Change]) -> str | None:
    path = change.path
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        head = heads.get(path)
        if head is not None and head.kind == change.kind and change.kind != "changed":
            return path
    return None
