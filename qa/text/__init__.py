"""Text handling shared by every stage: folding and tokenising, dates, language, sentences.

Pure functions over strings; per-language word lists live in ``qa.text.lang`` as data.
"""
