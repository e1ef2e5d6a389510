"""Indonesian names, normalised for comparison and scored with rapidfuzz (no app needed).

The same person is written "Muhammad", "Muhamad", "Moh." or "M."; "Nurhayati" or
"Nur Hayati" or "Nurul Hayati"; with or without "H."/"Hj." in front and "S.Pd" behind;
in any case, with any punctuation. normalise() folds all of these to one spelling.
"""

import re
from functools import lru_cache

from rapidfuzz import fuzz

# Forms of Muhammad, as offices type them.
_MUHAMMAD = {
    "M",
    "MD",
    "MHD",
    "MUH",
    "MUHD",
    "MOH",
    "MOCH",
    "MOHD",
    "MUHAMMAD",
    "MUHAMAD",
    "MUHAMMED",
    "MUHAMED",
    "MOHAMMAD",
    "MOHAMAD",
    "MOHAMMED",
    "MOHAMED",
    "MOCHAMMAD",
    "MOCHAMAD",
    "MUCHAMMAD",
    "MUCHAMAD",
    "MUHAMMAT",
}
# Titles and forms of address written before a name.
_TITLES = {
    "H",
    "HJ",
    "HJH",
    "HAJI",
    "HAJJAH",
    "HAJAH",
    "DRS",
    "DRA",
    "DR",
    "IR",
    "PROF",
    "KH",
    "UST",
    "USTADZ",
    "USTADZAH",
    "NY",
    "NYONYA",
    "TN",
    "TUAN",
    "SDR",
    "SDRI",
    "BPK",
    "BAPAK",
    "IBU",
    "ALM",
    "ALMH",
}
# Academic degrees written after a name (with or without a comma before them).
_DEGREES = {
    "SPD",
    "SPDI",
    "SPDSD",
    "MPD",
    "SE",
    "SH",
    "MH",
    "SAG",
    "SSOS",
    "SKOM",
    "SKM",
    "SKEP",
    "SSI",
    "MSI",
    "ST",
    "MT",
    "SIP",
    "SHI",
    "SSTP",
    "AMD",
    "AMKEP",
    "AMKEB",
    "MM",
    "MAG",
    "SFARM",
    "SPSI",
    "SKED",
    "MKES",
    "SPT",
    "BA",
}
# Joined to the next part, so "Nur Hayati" and "Nurhayati" read the same.
_JOINED = {"NUR": "NUR", "NURUL": "NUR", "NURUN": "NUR", "ABDUL": "ABDUL", "ABD": "ABDUL"}
# Old spellings (Soewarno, Djoko, Tjahjo) in today's.
_OLD_SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("SJ", "SY"))
_PUNCTUATION = re.compile(r"[^A-Z ]+")


def _degree_free(text: str) -> str:
    """The name before a comma that only degrees follow ("Siti, S.Pd., M.Pd")."""
    head, _, tail = text.partition(",")
    if tail and all(
        part.replace(".", "").replace(" ", "") in _DEGREES for part in tail.split(",") if part
    ):
        return head
    return text


def _tokens(name: str) -> list[str]:
    text = _degree_free(name.upper())
    # Dots inside a degree ("S.Pd") join its letters; elsewhere punctuation separates words.
    words = []
    for part in text.replace(",", " ").split():
        joined = part.replace(".", "").replace("'", "").replace("`", "")
        if joined in _DEGREES or joined in _TITLES or joined in _MUHAMMAD:
            words.append(joined)
        else:
            words.extend(_PUNCTUATION.sub(" ", part.replace("'", "")).split())
    return words


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """One spelling for the ways the same Indonesian name is written."""
    words = _tokens(name or "")
    while words and words[-1] in _DEGREES and len(words) > 1:
        words.pop()
    while words and words[0] in _TITLES and len(words) > 1:
        words.pop(0)
    out: list[str] = []
    join_next = False
    for word in words:
        if word in _MUHAMMAD:
            word = "MUHAMMAD"
        for old, new in _OLD_SPELLING:
            word = word.replace(old, new)
        if join_next and out:
            out[-1] += word
            join_next = False
            continue
        if word in _JOINED:
            out.append(_JOINED[word])
            join_next = True
            continue
        out.append(word)
    return " ".join(out)


def score(first: str, second: str) -> int:
    """How alike two names are, 0-100, after normalising both."""
    a, b = normalise(first), normalise(second)
    if not a or not b:
        return 0
    if a == b:
        return 100
    spaced = fuzz.token_sort_ratio(a, b)
    joined = fuzz.ratio(a.replace(" ", ""), b.replace(" ", ""))
    return round(max(spaced, joined))
