"""Convert the FreeDict English-Indonesian dictionary (Debian package ``dict-freedict-eng-ind``,
dictd files) into ``qa/text/lang/en_id_freedict.tsv``: one English headword a line, then its
Indonesian translations.

    apt-get install dict-freedict-eng-ind && .venv/bin/python -m training.freedict

The dictionary is CC-BY-SA-3.0 (FreeDict contributors; built by WikDict from Wiktionary); the
converted file carries that notice in its header and keeps that licence.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

SOURCE = Path("/usr/share/dictd/freedict-eng-ind")
TARGET = Path(__file__).resolve().parent.parent / "qa" / "text" / "lang" / "en_id_freedict.tsv"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
HEADER = """# English -> Indonesian translations from the FreeDict English-Bahasa Indonesia dictionary
# (FreeDict+WikDict, edition 2022.11.18, 10,296 headwords; base data from Wiktionary via DBnary),
# as packaged by Debian (dict-freedict-eng-ind). Copyright 2000-2022 FreeDict contributors.
# Licence: Creative Commons Attribution-ShareAlike 3.0 Unported (CC-BY-SA-3.0); this converted
# file is under the same licence. Regenerate: python -m training.freedict
# Format: english<TAB>indonesian|indonesian|...
"""


def _number(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + _B64.index(ch)
    return value


def entries(source: Path = SOURCE) -> dict[str, list[str]]:
    with gzip.open(f"{source}.dict.dz") as handle:
        data = handle.read()
    table: dict[str, list[str]] = {}
    for line in Path(f"{source}.index").read_text(encoding="utf-8").splitlines():
        head, offset, length = line.split("\t")
        if head.startswith("00database"):
            continue
        body = data[_number(offset):_number(offset) + _number(length)].decode("utf-8").splitlines()
        # After the headword line, translation lines and English glosses alternate.
        for translation in body[1::2]:
            translation = re.sub(r"^\s*\d+\.\s*|\s+\d+\.\s*$", "", translation).strip()
            for word in (w.strip() for w in translation.split(",")):
                # A sense without a translation shifts the alternation: its gloss, English prose,
                # then sits where a translation would; such lines are long or punctuated.
                if not word or re.search(r"[\d;()]", word) or len(word.split()) > 3:
                    continue
                if word.lower() not in table.setdefault(head.lower(), []):
                    table[head.lower()].append(word.lower())
    return {k: v for k, v in table.items() if v}


def main() -> int:
    if not Path(f"{SOURCE}.index").is_file():
        print("Install the dictionary first: apt-get install dict-freedict-eng-ind", file=sys.stderr)
        return 2
    table = entries()
    lines = [f"{head}\t{'|'.join(words)}" for head, words in sorted(table.items())]
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} headwords -> {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
