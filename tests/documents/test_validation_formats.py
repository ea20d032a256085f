"""The format checks the critic judges with: IRIs through their URI mapping, every listed format enforced."""

import pytest

from services.documents.validation import validator

IRI = {"type": "string", "format": "iri"}
IRI_REFERENCE = {"type": "string", "format": "iri-reference"}


@pytest.mark.parametrize("value", ["https://example.org/café", "urn:isbn:0451450523", "http://例え.jp/パス?q=1#frag"])
def test_iris_with_and_without_non_ascii_characters_pass(value: str) -> None:
    assert validator(IRI).is_valid(value)


@pytest.mark.parametrize("value", ["not an iri", "/relative/only", "http://exa mple.org", "://no-scheme"])
def test_what_is_no_iri_fails(value: str) -> None:
    assert not validator(IRI).is_valid(value)


def test_an_iri_reference_may_be_relative_but_not_broken() -> None:
    assert validator(IRI_REFERENCE).is_valid("../docs/résumé.pdf")
    assert validator(IRI_REFERENCE).is_valid("https://example.org/é")
    assert not validator(IRI_REFERENCE).is_valid("a b")


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("uri", "https://example.org/x", "no scheme"),
        ("date-time", "2026-12-03T10:00:00Z", "3 Dec 2026"),
        ("hostname", "db.example.org", "-bad-.org"),
        ("json-pointer", "/a/0", "a/0"),
        ("duration", "P3D", "three days"),
        ("uri-template", "https://x.org/{id}", "https://x.org/{id"),
        ("color", "red", "not-a-colour"),
    ],
)
def test_the_other_format_checks_are_installed(fmt: str, good: str, bad: str) -> None:
    """Each needs a library from jsonschema's format extra; a missing one silently passes everything."""
    schema = {"type": "string", "format": fmt}
    assert validator(schema).is_valid(good) and not validator(schema).is_valid(bad)
