"""PII redaction: typed placeholders, Luhn and mod-97 checks, phones vs dates vs prices."""

from __future__ import annotations

import pytest

from mining.text.redact import redact, redaction_counts


@pytest.mark.parametrize(
    "text",
    [
        "Write to anna.schmidt+quotes@example.co.uk today",
        "mailto:ops@bright-bakery.example",
        "Contact: J.O'Neil@Shop.IE.",
    ],
)
def test_text_redact_emails(text):
    out = redact(text)
    assert "<EMAIL>" in out and "@" not in out


@pytest.mark.parametrize(
    "text",
    [
        "call +44 20 7946 0958 after 5",
        "ring (415) 555-0132",
        "my cell is 415-555-0132.",
        "us: 415.555.0132",
        "+1 415 555 0132",
        "UK mobile 07700 900123",
        "landline 020 7946 0958",
        "appelez le 06 12 34 56 78",
        "Tel. 0049 30 1234567",
        "+49 (0)30 12345678",
        "whatsapp +34612345678",
        "text me on 4155550132",
        "call 07700900123",
        "my phone number is 546 158 1578",
        "local 555-0132",
    ],
)
def test_text_redact_phones(text):
    out = redact(text)
    assert "<PHONE>" in out, out
    assert sum(ch.isdigit() for ch in out) <= 1  # only a stray "5" or "1" outside the number


@pytest.mark.parametrize(
    "text",
    [
        "the meeting is on 2026-01-05 10:30",
        "delivered 05.01.2026, invoice due 01/05/2026",
        "we used it 2019-2023",
        "it costs $1,299.00 per year",
        "the price is 1.299.000 € for the building",
        "budget of 12 500 000 EUR",
        "a 2,499.99 USD licence",
        "order #123456 is late",
        "order 1234567 arrived",
        "ticket no. 98765432",
        "my policy number is 1581018771",
        "version 1.2.3 and pi 3.14159265",
        "server 192.168.100.200 is down",
        "open 10:00-18:00",
        "we have 250 users and 12 seats",
        "we had 1500000 visitors in 2025",
        "in 2025 1500 customers signed up",
        "tracking 123456789012",
    ],
)
def test_text_redact_not_phones(text):
    assert redact(text) == text


def test_text_redact_cards_are_luhn_checked():
    assert redact("card 4111 1111 1111 1111 exp 12/28") == "card <CARD> exp 12/28"
    assert redact("4012-8888-8888-1881") == "<CARD>"
    assert redact("amex 378282246310005.") == "amex <CARD>."
    # card-shaped numbers that fail Luhn are left alone (and are not phones either)
    for bad in ("4111 1111 1111 1112", "1234-5678-9012-3456", "4012888888881882"):
        assert redact(f"ref {bad} ok") == f"ref {bad} ok"


def test_text_redact_iban_mod97():
    assert redact("IBAN DE89 3704 0044 0532 0130 00, thanks") == "IBAN <IBAN>, thanks"
    assert redact("pay to GB82WEST12345698765432") == "pay to <IBAN>"
    assert redact("NL91 ABNA 0417 1643 00 please") == "<IBAN> please"
    assert redact("NL91ABNA0417164300") == "<IBAN>"
    assert redact("fr14 2004 1010 0505 0001 3m02 606 ok") == "<IBAN> ok"
    # one digit off: the checksum fails and nothing is replaced
    bad = "IBAN DE89 3704 0044 0532 0130 01 thanks"
    assert redact(bad) == bad


def test_text_redact_urls_only_with_query_strings():
    text = "See https://acme-tools.com/pricing and www.acme-tools.com/docs."
    assert redact(text) == text
    assert redact("reset: https://app.acme-tools.com/reset?token=abc123&u=9.") == "reset: <URL>."
    assert redact("(https://x.example/a#access_token=xyz)") == "(<URL>)"
    assert redact("https://bob:secret@host.example/path") == "<URL>"
    assert redact("open acme-tools.com/invite?code=XYZ123 now") == "open <URL> now"
    assert redact("acme-tools.com/pricing is clear") == "acme-tools.com/pricing is clear"


def test_text_redact_counts_and_passthrough():
    text = "Mail a@b.example or c@d.example, call +44 20 7946 0958, card 4111111111111111"
    counts = redaction_counts(text)
    assert counts == {"<EMAIL>": 2, "<URL>": 0, "<IBAN>": 0, "<CARD>": 1, "<PHONE>": 1}
    assert redact("") == "" and redaction_counts("")["<EMAIL>"] == 0
    plain = "The Pro plan is too expensive for a team of 12."
    assert redact(plain) == plain


def test_text_redact_placeholders_are_stable_under_reapplication():
    once = redact("call +44 20 7946 0958 or mail a@b.example, IBAN GB82WEST12345698765432")
    assert redact(once) == once
