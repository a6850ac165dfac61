"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (no I, O, S, V, Z); the last is a check character over the
first 17 with weights 3^i mod 31.
"""

import functools

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


@functools.lru_cache(maxsize=1024)
def uscc_problem(code: str) -> str | None:
    """None when ``code`` is a well-formed USCC; otherwise what is wrong with it, in English.

    Remembered for the last codes asked about: a form checks a code and its model field checks it
    again, once per row of an import."""
    if len(code) != 18:
        return "length"
    bad = [ch for ch in code if ch not in ALPHABET]
    if bad:
        return "character"
    if not code[2:8].isdigit():
        return "region"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None


def normalise(code: str) -> str:
    return code.strip().upper().replace(" ", "")
