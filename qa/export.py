"""An answer with its sources, to take into a report: Markdown for people, JSON for programs.

The JSON is ``Answer.to_dict()`` (question, answer, citations with article id, title, outlet,
date, character offsets and the quoted passage). The Markdown quotes article text as text:
characters that Markdown or HTML would read as markup are escaped.
"""

from __future__ import annotations

import json
import re

from qa.types import Answer

_MARKUP = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False, indent=1)


def answer_markdown(answer: Answer) -> str:
    lines = [f"## {_text(answer.question)}", ""]
    lines += [_text(line) for line in answer.text.splitlines()]
    if answer.notes:
        lines += [""] + [f"*{_text(note)}*" for note in answer.notes]
    sources = answer.citations or []
    if sources:
        lines += ["", "### Sources", ""]
        for c in sources:
            p = c.passage
            meta = ", ".join(_text(x) for x in (p.source, p.date) if x)
            lines.append(f"{c.n}. **{_text(p.title or p.doc_id)}**" + (f" ({meta})" if meta else "")
                         + f", article `{p.doc_id}`, characters {p.start}-{p.end}")
            lines += [f"   > {_text(line)}" for line in p.text.splitlines() if line.strip()]
    elif answer.abstained and answer.passages:
        lines += ["", "### Nearest passages", ""]
        for i, p in enumerate(answer.passages, 1):
            lines.append(f"{i}. **{_text(p.title or p.doc_id)}**, article `{p.doc_id}`, characters {p.start}-{p.end}")
    return "\n".join(lines).rstrip() + "\n"


def _text(value: str) -> str:
    """``value`` shown literally in Markdown: HTML characters as entities, markup characters escaped."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\1", value)
