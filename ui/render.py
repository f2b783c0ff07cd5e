"""HTML for the chat page. Every piece of article text goes through ``html.escape``: an article
that contains markup is shown as text, never run."""

from __future__ import annotations

from html import escape

from qa import Answer, Citation, Document, Passage


def display_name(title: str, source: str, doc_id: str) -> str:
    """What to call an article: its title, else its outlet and id."""
    return title or (f"{source} ({doc_id})" if source else doc_id)


def _label(title: str, source: str, date: str, doc_id: str) -> str:
    parts = [escape(display_name(title, source, doc_id))]
    meta = " · ".join(escape(x) for x in (source, date) if x)
    return f"<b>{parts[0]}</b>" + (f" <span class='qa-meta'>{meta}</span>" if meta else "")


def mark_spans(text: str, offset: int, spans: list[tuple[int, int]], css: str) -> str:
    """Escape ``text`` (which starts at document offset ``offset``) and wrap ``spans`` in <mark>."""
    out, cursor = [], 0
    for start, end in sorted((max(s - offset, 0), min(e - offset, len(text))) for s, e in spans):
        if end <= cursor or start >= len(text):
            continue
        start = max(start, cursor)
        out.append(escape(text[cursor:start]))
        out.append(f"<mark class='{css}'>{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def source_cards(answer: Answer) -> str:
    if answer.abstained:
        intro = "<div class='qa-notfound'>Not found in the articles. The nearest passages:</div>"
        cards = [_passage_card(i + 1, p) for i, p in enumerate(answer.passages)]
        return intro + "".join(cards)
    return "".join(_citation_card(c) for c in answer.citations)


def _citation_card(citation: Citation) -> str:
    p = citation.passage
    body = mark_spans(p.text, p.start, citation.highlights, "qa-hl")
    if citation.answer_spans:  # answer spans sit inside the highlighted sentences
        body = _mark_answers(p, citation)
    also = ""
    if citation.also_reported_by:
        also = f"<div class='qa-also'>Also reported by: {escape(', '.join(citation.also_reported_by))}</div>"
    if citation.corroborates:
        also = f"<div class='qa-also'>Also reports what [{citation.corroborates}] says.</div>"
    return (f"<div class='qa-card' data-n='{citation.n}'><div class='qa-card-head'>[{citation.n}] "
            f"{_label(p.title, p.source, p.date, p.doc_id)} <code>{escape(p.doc_id)} [{p.start}:{p.end}]</code></div>"
            f"<div class='qa-card-body'>{body}</div>{also}</div>")


def _mark_answers(p: Passage, citation: Citation) -> str:
    """Sentence highlight with the answer span in a stronger mark."""
    pieces, cursor = [], p.start
    for start, end in sorted(citation.highlights):
        inner = [(s, e) for s, e in citation.answer_spans if s >= start and e <= end]
        pieces.append(escape(p.text[cursor - p.start:max(start, cursor) - p.start]))
        sentence = p.text[max(start, cursor) - p.start:end - p.start]
        pieces.append(f"<mark class='qa-hl'>{mark_spans(sentence, max(start, cursor), inner, 'qa-answer')}</mark>")
        cursor = max(cursor, end)
    pieces.append(escape(p.text[cursor - p.start:]))
    return "".join(pieces)


def _passage_card(n: int, p: Passage) -> str:
    return (f"<div class='qa-card qa-near' data-n='{n}'><div class='qa-card-head'>{n}. "
            f"{_label(p.title, p.source, p.date, p.doc_id)}"
            f" <code>{escape(p.doc_id)} [{p.start}:{p.end}] score {p.score:.3f}</code></div>"
            f"<div class='qa-card-body'>{escape(p.text)}</div></div>")


def article_view(doc: Document, highlights: list[tuple[int, int]], answers: list[tuple[int, int]]) -> str:
    """The whole article with the cited passage highlighted; the first highlight gets an id
    so the page can scroll it into view."""
    body = mark_spans(doc.text, 0, highlights, "qa-hl")
    if highlights:
        body = body.replace("<mark class='qa-hl'>", "<mark class='qa-hl' id='qa-first-hl'>", 1)
    meta = " · ".join(escape(x) for x in (doc.source, doc.dateline, doc.date, doc.lang) if x)
    return (f"<div class='qa-article'><h3>{escape(display_name(doc.title, doc.source, doc.id))}</h3>"
            f"<div class='qa-meta'>{meta} <code>{escape(doc.id)}</code></div>"
            f"<div class='qa-article-body'>{body}</div></div>")


CSS = """
.qa-card {border:1px solid #d0d7de; border-radius:8px; padding:8px 10px; margin:6px 0; background:#fff; cursor:pointer;}
.qa-card:hover {border-color:#0969da;}
.qa-card-head {font-size:0.9em; margin-bottom:4px;}
.qa-card-body, .qa-article-body {white-space:pre-wrap; font-size:0.92em; line-height:1.45;}
.qa-meta {color:#57606a; font-size:0.85em;}
.qa-also {color:#57606a; font-size:0.85em; margin-top:4px;}
mark.qa-hl {background:#fff3a3; padding:0 1px;}
mark.qa-answer {background:#ffd33d; font-weight:600;}
.qa-notfound {background:#fff1f0; border:1px solid #ffa39e; padding:6px 10px; border-radius:6px;}
.qa-article {max-height:520px; overflow:auto; border:1px solid #d0d7de; border-radius:8px; padding:8px 12px;}
"""

# Clicking a source card, or a [n] marker in the chat, opens that source (as picking it under
# "Open a source" does).
CARD_CLICK_JS = """
() => {
  const open = (n) => {
    for (const label of document.querySelectorAll('#qa-pick label')) {
      const text = label.innerText.trim();
      if (text.startsWith('[' + n + ']') || text.startsWith(n + '.')) { label.click(); return; }
    }
  };
  const markerAt = (x, y) => {
    const range = document.caretRangeFromPoint && document.caretRangeFromPoint(x, y);
    if (!range || range.startContainer.nodeType !== Node.TEXT_NODE) return null;
    const text = range.startContainer.textContent, at = range.startOffset;
    const re = /\\[(\\d+)\\]/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (at >= m.index && at <= m.index + m[0].length) return m[1];
    }
    return null;
  };
  document.addEventListener('click', (event) => {
    const card = event.target.closest('.qa-card');
    if (card) { open(card.dataset.n); return; }
    if (event.target.closest('#qa-chat')) {
      const n = markerAt(event.clientX, event.clientY);
      if (n) open(n);
    }
  });
}
"""
