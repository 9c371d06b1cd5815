"""Words common in the languages clients write, to tell product names from ordinary words.

``common_words.txt.gz`` holds every word whose Zipf frequency (log10 of uses per
billion words) is at least COMMON_ZIPF in English, German, French, Spanish,
Portuguese or Dutch, taken from wordfreq's data (Robyn Speer et al., CC BY-SA 4.0;
the file carries the same licence). Shipping the list instead of loading wordfreq
keeps a receiver at about 12 MB and 50 ms for it, not 220 MB and a second.

    python -m plugin.language.common_words    # rebuild it (needs the corpus extra)
"""

from __future__ import annotations

import gzip
import sys
from functools import cache
from importlib import metadata, resources
from pathlib import Path

COMMON_ZIPF = 3.0
LANGUAGES = ("en", "de", "fr", "es", "pt", "nl")
WORDS_FILE = "common_words.txt.gz"
HEADER = (
    "# Words with a Zipf frequency of at least {zipf} in {languages}, from wordfreq {version}"
    " (https://github.com/rspeer/wordfreq), CC BY-SA 4.0.\n"
)


@cache
def common_words() -> frozenset[str]:
    """The shipped list of common words (read once per process)."""
    data = resources.files("plugin.language").joinpath(WORDS_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def build() -> list[str]:
    """Every word at or above COMMON_ZIPF in any of LANGUAGES, sorted."""
    import wordfreq  # noqa: PLC0415 (corpus extra only)

    found: set[str] = set()
    for language in LANGUAGES:
        for word in wordfreq.iter_wordlist(language):
            if wordfreq.zipf_frequency(word, language) < COMMON_ZIPF:
                break  # the list is ordered by frequency
            found.add(word)
    return sorted(found)


def main() -> int:
    words = build()
    header = HEADER.format(
        zipf=COMMON_ZIPF, languages=", ".join(LANGUAGES), version=metadata.version("wordfreq")
    )
    target = Path(__file__).with_name(WORDS_FILE)
    # mtime=0: the same words give the same bytes, so a rebuild shows no change in git.
    target.write_bytes(gzip.compress((header + "\n".join(words) + "\n").encode(), mtime=0))
    print(f"wrote {len(words)} words to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
