"""Bounded ECMA-262 patterns (``evreg.contracts.patterns``) against independent oracles.

- Node's ``RegExp`` (V8, an ECMA-262 engine) decides what every pattern of a corpus matches:
  realistic patterns, ECMA-specific escapes and several hundred generated ones, each against
  texts chosen to tell the dialects apart (line terminators, Unicode white space and digits,
  astral characters, a final newline).
- Python's ``re`` agrees on the patterns and texts where the two dialects mean the same.
- The catastrophic patterns of issue 15 finish on long texts (RE2 is linear; ``regress``,
  the ECMA-262 engine used only to check syntax, would backtrack for minutes).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from typing import Any

import pytest

from evreg.contracts import patterns
from evreg.contracts.patterns import PatternBudgetError, PatternError

# --------------------------------------------------------------------------- the node oracle

_NODE_SCRIPT = r"""
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = cases.map(([pattern, texts]) => {
  let rx = null, mode = null;
  for (const flags of ["u", ""]) {
    try { rx = new RegExp(pattern, flags); mode = flags; break; } catch (e) {}
  }
  if (rx === null) return { valid: false };
  return { valid: true, mode, results: texts.map((t) => rx.test(t)) };
});
process.stdout.write(JSON.stringify(out));
"""


def node_results(cases: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    """What V8 says of each (pattern, texts): valid (u mode, else without u) and each match."""
    node = shutil.which("node")
    if node is None:
        reason = "node is not installed: the ECMA-262 oracle is V8's RegExp"
        if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    done = subprocess.run(
        [node, "-e", _NODE_SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# Texts that tell ECMA-262 from RE2's and Python's defaults apart.
TEXTS = [
    "",
    "a",
    "abc",
    "ABC",
    "a1",
    "123",
    "a_b",
    "a-b.c",
    "a b",
    "a\n",
    "\n",
    "a\rb",
    "a\u2028b",
    "\u00a0",
    "\u3000x",
    "\ufeff",
    "\v",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: \d in Python's re, not in ECMA-262
    "é",
    "Éa",
    "ß",
    "😀",
    "a😀b",
    "aaaa",
    "abab",
    "x{2}",
    "\\",
    "a\\b",
    "\x00",
    "\x01",
    "\x08",
    "{",
    "]",
]

REALISTIC = [
    "^[A-Z]{3}$",
    "^[a-z][a-z0-9_]*$",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    "^-?[0-9]+(\\.[0-9]{1,4})?$",
    "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
    "^\\+?[1-9]\\d{1,14}$",
    "^(EUR|USD|GBP)$",
    "^x-",
    "^\\S+$",
    "\\s",
    "^\\s*$",
    "^\\w+$",
    "\\bab",
    "b\\b",
    "\\Bb",
    "^.+$",
    "^.*$",
    "^.$",
    "a$",
    "^a",
    "^[\\p{L}]+$",
    "^\\p{Lu}",
    "\\p{L}",
    "\\P{L}",
    "\\p{Letter}",
    "\\p{gc=Nd}",
    "\\p{Script=Greek}",
    "\\p{ASCII}",
    "[\\P{ASCII}]",
    "\\p{LC}",
    "^\\u{1F600}$",
    "\\uD83D\\uDE00",
    "\\u00e9",
    "\\x41",
    "\\cJ",
    "\\0",
    "[\\b]",
    "[]",
    "[^]",
    "[^a]",
    "[a-c-e]",
    "[--/]",
    "[\\d-]",
    "[\\s\\d]",
    "[\\S]",
    "[^\\s]",
    "[^\\S]",
    "[\\w.-]+",
    "\\/",
    "\\.",
    "a{2}",
    "a{2,}",
    "a{1,3}?",
    "^(a+)+$",
    "(a|a)*b",
    "(x+x+)+y",
    "^(\\w+\\s?)*$",
    "(?<year>\\d{4})-(?<month>\\d{2})",
    "(?:ab)+",
    "^(?=.*[A-Z])(?=.*\\d).{8,}$",
    "^(?!\\s*$).+",
    "^(?!.*--)[a-z-]+$",
    "^(?=a)",
    "^(?!a)",
    # Annex B: valid only without the u flag
    "\\_",
    "a{",
    "x{2",
    "]",
    "}",
    "\\a",
    "\\z",
    "\\c1",
    "[\\c1]",
    "[\\c_]",
    "\\c",
    "\\8",
    "\\01",
    "\\1",
    "\\x4",
    "\\u12",
    "\\p{L}",
    "[\\d-z]",
    "\\k",
    "\\-",
    "[\\_]",
]

_ATOMS = [
    "a",
    "b",
    "1",
    "_",
    "-",
    ".",
    "é",
    "\\.",
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\s",
    "\\S",
    "\\b",
    "[ab]",
    "[^a]",
    "[a-c]",
    "[\\s1]",
    "[^\\S\\n]",
    "[\\w-]",
    "\\x61",
    "\\u0062",
    "\\n",
    "\\u2028",
    "\\p{L}",
    "\\p{Nd}",
    "[\\p{Lu}\\d]",
    "😀",
]
_QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?", "+?"]


def _generated(count: int, seed: int) -> list[str]:
    """Small random patterns over atoms, groups, alternation, quantifiers and anchors."""
    rnd = random.Random(seed)

    def sequence(depth: int) -> str:
        parts = []
        for _ in range(rnd.randint(1, 4)):
            if depth < 2 and rnd.random() < 0.2:
                body = sequence(depth + 1)
                if rnd.random() < 0.4:
                    body += "|" + sequence(depth + 1)
                atom = rnd.choice(["(", "(?:", "(?<g>"][: 2 + (depth == 0)]) + body + ")"
            else:
                atom = rnd.choice(_ATOMS)
            quantifier = rnd.choice(_QUANTIFIERS)
            if atom == "\\b":
                quantifier = ""
            parts.append(atom + quantifier)
        return "".join(parts)

    out = []
    for _ in range(count):
        body = sequence(0)
        if rnd.random() < 0.15:
            ahead = rnd.choice(["(?=", "(?!"]) + sequence(1) + ")"
            body = "^" + ahead + body
        else:
            body = ("^" if rnd.random() < 0.4 else "") + body + ("$" if rnd.random() < 0.4 else "")
        out.append(body)
    return out


def _texts_for(pattern: str, seed: int) -> list[str]:
    """TEXTS plus strings made of the pattern's own characters (so that some match)."""
    rnd = random.Random(seed)
    alphabet = [c for c in pattern if c not in "\\[](){}|^$*+?"] + list("ab1_ é\n😀\u00a0")
    made = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 8))) for _ in range(12)]
    return TEXTS + made


CORPUS = list(dict.fromkeys(REALISTIC + _generated(400, seed=15)))


def test_corpus_agrees_with_v8() -> None:
    cases = [(p, _texts_for(p, i)) for i, p in enumerate(CORPUS)]
    oracle = node_results(cases)
    compared = refused = 0
    disagreements = []
    for (pattern, texts), said in zip(cases, oracle, strict=True):
        assert patterns.is_ecma(pattern) == said["valid"], pattern
        try:
            compiled = patterns.compile_pattern(pattern)
        except PatternError as exc:
            refused += 1
            assert ("not an ECMA-262" in exc.reason) == (not said["valid"]), (pattern, exc)
            continue
        assert compiled.unicode == (said["mode"] == "u"), pattern
        for text, expected in zip(texts, said["results"], strict=True):
            if not compiled.unicode and any(ord(c) > 0xFFFF for c in text):
                continue  # without u, V8 matches UTF-16 code units; evreg reads code points
            compared += 1
            if patterns.search(pattern, text) != expected:
                disagreements.append((pattern, text, expected))
    assert disagreements == [], disagreements[:20]
    assert compared > 10_000
    assert refused < len(CORPUS) // 10  # refusals are the exception (reasons checked below)


# --------------------------------------------------------------------------- Python's re


SAFE_ATOMS = ["a", "b", "c", "1", "_", "-", "[ab]", "[^a]", "[a-c]", "[0-9]", "x", "\\."]


def test_safe_patterns_agree_with_python_re() -> None:
    """Where ECMA-262 and Python read a pattern alike, ``re`` is a second oracle."""
    rnd = random.Random(7)
    texts = ["", "a", "ab", "abc", "aab", "ba", "x.1", "a-b_c", "1a", "ccc", "abcabc", "a.b"]
    compared = 0
    for _ in range(500):
        parts = []
        for _ in range(rnd.randint(1, 4)):
            atom = rnd.choice(SAFE_ATOMS)
            if rnd.random() < 0.15:
                atom = "(" + atom + "|" + rnd.choice(SAFE_ATOMS) + ")"
            parts.append(atom + rnd.choice(["", "", "*", "+", "?", "{2}", "{1,3}"]))
        pattern = ("^" if rnd.random() < 0.3 else "") + "".join(parts)
        pattern += "$" if rnd.random() < 0.3 else ""
        for text in texts:  # no newline: Python's $ also matches before a final one
            assert patterns.search(pattern, text) == (re.search(pattern, text) is not None), (
                pattern,
                text,
            )
            compared += 1
    assert compared == 500 * len(texts)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a)\\1", "backreferences"),
        ("(?<n>a)\\k<n>", "backreferences"),
        ("(?<=a)b", "lookbehind"),
        ("(?<!a)b", "lookbehind"),
        ("a(?=b)", "right after a leading ^"),
        ("^a(?=b)", "right after a leading ^"),
        ("^(?:(?=a)b)", "top level"),
        ("^(?=a)b|c", "top-level |"),
        ("^(?=(?=a))", "top level"),
        ("(?i:a)", "inline modifiers"),
        ("a\\Bb", "\\B is not supported"),
        ("a{1001}", "invalid repetition size"),
        ("\\p{L}{1,1000}", "pattern too large"),
        ("\\uD800", "lone surrogate"),
        ("\\p{Alphabetic}", "not supported"),
        ("\\p{sc=Grek}", "not supported"),
        ("(", "not an ECMA-262 regular expression"),
        ("(?P<x>a)", "not an ECMA-262 regular expression"),
        ("a++", "not an ECMA-262 regular expression"),
        ("\\Z(", "not an ECMA-262 regular expression"),
    ],
)
def test_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError) as caught:
        patterns.check(pattern)
    assert reason in caught.value.reason
    assert caught.value.pattern == pattern
    with pytest.raises(PatternError):  # and the same from the cache
        patterns.search(pattern, "a")


def test_check_patterns_names_the_pointer() -> None:
    schema = {
        "type": "object",
        "properties": {
            "ok": {"type": "string", "pattern": "^[a-z]+$"},
            "nested": {"items": {"anyOf": [{"pattern": "^(a)\\1$"}]}},
        },
    }
    with pytest.raises(PatternError) as caught:
        patterns.check_patterns(schema, at="#/components/schemas/X")
    assert caught.value.pointer == "#/components/schemas/X/properties/nested/items/anyOf/0/pattern"
    named = {"patternProperties": {"^x-": {}, "a/(?<=b)": {}}}
    with pytest.raises(PatternError) as caught:
        patterns.check_patterns(named)
    assert caught.value.pointer == "#/patternProperties/a~1(?<=b)"
    patterns.check_patterns({"enum": [{"pattern": "("}], "const": {"pattern": "("}})  # data


def test_locate_finds_a_pattern_or_a_pattern_property() -> None:
    doc = {"properties": {"a": {"pattern": "^(a+)+$"}}, "patternProperties": {"^(x+x+)+y": {}}}
    assert patterns.locate(doc, "^(a+)+$") == "#/properties/a/pattern"
    assert patterns.locate(doc, "^(x+x+)+y", at="#/x") == "#/x/patternProperties/^(x+x+)+y"
    assert patterns.locate(doc, "nowhere") is None


# --------------------------------------------------------------------------- bounded cost


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("^(a+)+$", "a" * 100_000 + "!", False),
        ("(a|a)*b", "a" * 100_000, False),
        ("(x+x+)+y", "x" * 100_000, False),
        ("^(\\w+\\s?)*$", "ab " * 30_000 + "!", False),
        ("^(a+)+$", "a" * 100_000, True),
        ("^(?=(a+)+$)", "a" * 100_000 + "!", False),
    ],
)
def test_catastrophic_patterns_finish(pattern: str, text: str, expected: bool) -> None:
    """Backtracking engines take time exponential in the text here (issue 15: 40 characters
    of ``^(a+)+$`` hung the registry); RE2 is linear, so 100,000 characters finish."""
    assert patterns.search(pattern, text) is expected


def test_a_budget_bounds_the_searches_inside_it() -> None:
    size = patterns.compile_pattern("^(a+)+$").size
    with patterns.budget(size * 1000) as spent:
        assert patterns.search("^(a+)+$", "a" * 499)
        assert spent.spent == size * 500
        with pytest.raises(PatternBudgetError) as caught:
            patterns.search("^(a+)+$", "a" * 500)  # 501 more: 1,001 in all
    assert "ran out of budget" in str(caught.value)
    assert caught.value.pattern == "^(a+)+$"
    assert isinstance(caught.value, PatternError)


def test_one_search_outside_a_budget_is_bounded_by_the_default() -> None:
    compiled = patterns.compile_pattern("[ab]*a[ab]{900}c")
    too_long = "ab" * (patterns.DEFAULT_BUDGET // compiled.size // 2 + 1)
    with pytest.raises(PatternBudgetError):
        patterns.search("[ab]*a[ab]{900}c", too_long)


def test_lone_surrogates_in_a_text_are_read_as_replacement_characters() -> None:
    assert patterns.search("^.$", "\ud800")
    assert patterns.search("\ufffd", "a\udc00")
    assert not patterns.search("^a$", "a\ud800")


def test_format_regex_is_ecma_262() -> None:
    assert patterns.is_ecma("^\\p{L}+$")  # Python's re refuses \p
    assert patterns.is_ecma("(a)\\1")  # valid, though evreg does not evaluate it
    assert patterns.is_ecma(12)  # formats assert on strings only
    assert not patterns.is_ecma("(?P<x>a)")  # Python's syntax, not ECMA-262
    assert not patterns.is_ecma("(")
