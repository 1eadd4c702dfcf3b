"""Text cleaning: HTML to text, quoted replies, signatures, whitespace, chat messages."""

from __future__ import annotations

import pytest

from mining.text.clean import (
    clean_email_body,
    clean_message,
    html_to_text,
    looks_like_html,
    normalize_whitespace,
    strip_quotes,
    strip_signature,
)

OWN = "The annual price is more than we budgeted. Can you match the Basic plan price?"


def test_text_clean_html_blocks_entities_scripts():
    html = (
        "<html><head><title>t</title><style>p {color:red}</style></head><body>"
        "<p>Hello&nbsp;<b>there</b> &amp; welcome</p><div>line one<br>line two</div>"
        "<ul><li>first</li><li>second</li></ul><script>alert('x')</script>"
        "<table><tr><td>Plan</td><td>Price</td></tr><tr><td>Pro</td><td>&euro;49</td></tr></table>"
        "<pre>keep   this\n  spacing</pre></body></html>"
    )
    text = html_to_text(html)
    assert text.splitlines()[0] == "Hello there & welcome"
    assert "line one\nline two" in text
    assert "- first\n- second" in text
    assert "Plan Price\nPro €49" in text
    assert text.endswith("keep this\nspacing")  # line breaks inside <pre> are kept
    assert "alert" not in text and "color" not in text and "<" not in text


def test_text_clean_html_malformed_and_empty():
    assert html_to_text("") == ""
    assert html_to_text("<div>unclosed <p>para <b>bold") == "unclosed\n\npara bold"
    assert html_to_text("a < b and c > d") == "a < b and c > d"


def test_text_clean_html_strip_quotes_gmail_outlook_web_thunderbird():
    gmail = (
        '<div dir="ltr">New text<div class="gmail_signature">Ann | CEO</div></div>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Ann wrote:</div>'
        '<blockquote class="gmail_quote"><div>old</div>'
        "<blockquote>older</blockquote></blockquote>"
        "</div><div>after quote</div>"
    )
    assert html_to_text(gmail, strip_quotes=True) == "New text\nafter quote"
    assert "old" in html_to_text(gmail)
    owa = (
        "<div>Sure, Friday works.</div><div id=\"appendonsend\"></div><hr>"
        '<div id="divRplyFwdMsg"><b>From:</b> Bob<br><b>Sent:</b> Monday</div><div>history</div>'
    )
    assert html_to_text(owa, strip_quotes=True) == "Sure, Friday works."
    tb = (
        '<p>Reply</p><div class="moz-cite-prefix">On 1/5/26 Bob wrote:</div>'
        '<blockquote type="cite">x</blockquote>'
    )
    assert html_to_text(tb, strip_quotes=True) == "Reply"


@pytest.mark.parametrize(
    "history",
    [
        "On Mon, Jan 5, 2026 at 10:02 AM John Smith <john@acme.example> wrote:\n> Hi\n> there",
        "On Mon, Jan 5, 2026 at 10:02 AM John Smith <\njohn@acme.example> wrote:\n\n> Hi",
        "On 5 Jan 2026, at 10:02, John Smith <john@acme.example> wrote:\n\n> Hi",
        "Am 05.01.2026 um 10:02 schrieb John Smith <john@acme.example>:\n> Hallo",
        "Le lun. 5 janv. 2026 à 10:02, John Smith <john@acme.example> a écrit :\n> Bonjour",
        "El lun, 5 ene 2026 a las 10:02, John Smith (<john@acme.example>) escribió:\n> Hola",
        "Op ma 5 jan. 2026 om 10:02 schreef John Smith <john@acme.example>:\n> Hoi",
        "Il giorno lun 5 gen 2026 alle ore 10:02 John <john@acme.example> ha scritto:\n> Ciao",
        "Em seg., 5 de jan. de 2026 às 10:02, John <john@acme.example> escreveu:\n> Olá",
        "-----Original Message-----\nFrom: John\nSent: Monday\nTo: Ann\nSubject: Quote\n\nHi",
        "----- Ursprüngliche Nachricht -----\nVon: John\nGesendet: Montag\n\nHallo",
        "________________________________\nFrom: John Smith <john@acme.example>\nSent: Monday, "
        "January 5, 2026 10:02 AM\nTo: Ann\nSubject: RE: Quote\n\nHi",
        "From: John Smith <john@acme.example>\nDate: Monday, 5 January 2026 at 10:02\n"
        "To: Ann <ann@x.example>\nSubject: Quote\n\nHi Ann",
        "De : John Smith <john@acme.example>\nEnvoyé : lundi 5 janvier 2026 10:02\n"
        "À : Ann\nObjet : Devis\n\nBonjour",
        "Begin forwarded message:\n\nFrom: John\nSubject: Quote\n\nHi",
        "---------- Forwarded message ---------\nFrom: John <john@acme.example>\nDate: Mon\n\nHi",
    ],
)
def test_text_clean_strip_quotes_clients_and_languages(history):
    assert clean_email_body(f"{OWN}\n\n{history}\n") == OWN


def test_text_clean_bottom_posted_reply_is_kept():
    text = "On Mon, Jan 5, 2026 at 10:02 AM Sam <sam@acme.example> wrote:\n> Which plan?\n\nPro."
    assert clean_email_body(text) == "Pro."


def test_text_clean_interleaved_quotes_keep_own_lines():
    text = "> Which plan?\nPro, for 12 people.\n> When?\nNext month.\n"
    assert normalize_whitespace(strip_quotes(text)) == "Pro, for 12 people.\nNext month."


def test_text_clean_quote_words_inside_text_are_kept():
    text = "My colleague wrote: the price is too high.\nFrom: our side, nothing changed."
    assert normalize_whitespace(strip_quotes(text)) == text


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nAnn Lee\nHead of Ops",
        "Sent from my iPhone",
        "Get Outlook for iOS",
        "Von meinem iPhone gesendet",
        "Best regards,\nAnn Lee\nHead of Operations | Lee Plumbing\nPhone: +1 415 555 0132",
        "Kind regards\nAnn",
        "Thanks,\nAnn",
        "Cheers, Ann",
        "Mit freundlichen Grüßen\nAnn Lee",
        "Cordialement,\nAnn",
        "Ann Lee\nHead of Operations\nLee Plumbing Ltd\nT: +44 20 7946 0958\nwww.lee.example",
        "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential.",
        "This email and any files transmitted with it are confidential and intended solely for "
        "the addressee.",
    ],
)
def test_text_clean_strip_signature(signature):
    assert clean_email_body(f"{OWN}\n\n{signature}\n") == OWN


def test_text_clean_signature_by_sender_name():
    assert clean_email_body(f"{OWN}\n\nAnn\n", names=["Ann Lee"]) == OWN
    assert clean_email_body(f"{OWN}\n\n- AL", names=["Ann Lee"]) == OWN
    assert clean_email_body(f"{OWN}\n\nAnn\n") == f"{OWN}\n\nAnn"  # unknown sender: kept


def test_text_clean_thank_you_note_keeps_its_thanks():
    assert clean_email_body("Hi Sam,\n\nThanks!\n\nAnn") == "Hi Sam,\n\nThanks!"


def test_text_clean_signoff_followed_by_content_is_kept():
    text = f"{OWN}\n\nThanks,\nAlso: could you include onboarding? We need it by Friday?"
    assert strip_signature(text) == text
    keep = "Thanks for the quick reply, that helps a lot."
    assert clean_email_body(keep) == keep


def test_text_clean_contact_sentence_is_not_a_signature():
    text = f"{OWN}\n\nPlease call me back at 020 7946 0958 tomorrow morning if possible."
    assert clean_email_body(text) == text


def test_text_clean_normalize_whitespace():
    raw = "\ufeffHello\u00a0 world\u200b!\r\n\r\n\r\n\tSecond\u2003line  \r\nthird\u00ad"
    assert normalize_whitespace(raw) == "Hello world!\n\nSecond line\nthird"
    assert normalize_whitespace("") == ""


def test_text_clean_looks_like_html():
    assert looks_like_html("<p>Hi</p><p>there</p>")
    assert looks_like_html("Hi<br>there<br>")
    assert not looks_like_html("is 3 < 5 and 7 > 2?")
    assert not looks_like_html("plain text")


def test_text_clean_message_for_chat():
    assert clean_message("<p>Hi&nbsp;there</p><p>mail me: ann@x.example</p>") == (
        "Hi there\n\nmail me: <EMAIL>"
    )
    assert clean_message("call +44 20 7946 0958", redact=False) == "call +44 20 7946 0958"
    # chat is cleaned conservatively: header-like lines and sign-offs stay
    chat = "From: Berlin, looking for a plan.\nSent: my budget yesterday.\nThanks,\nAnn"
    assert clean_message(chat) == chat
    assert clean_message("Too expensive.\n\nSent from my iPhone") == "Too expensive."
    assert clean_message("> 50 users") == "> 50 users"  # all quoted: the author's own text
    assert clean_message("> old\nnew answer") == "new answer"
    assert clean_message(None) == "" and clean_message(float("nan")) == ""


def test_text_clean_outlook_desktop_html_reply():
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style><!-- p.MsoNormal '
        '{margin:0cm;} --></style></head><body><div class="WordSection1">'
        '<p class="MsoNormal">Hi Ann,<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<p class="MsoNormal">We can offer 15% off for a two-year contract.<o:p></o:p></p>'
        '<p class="MsoNormal">Kind regards,<o:p></o:p></p><p class="MsoNormal">Sam<o:p></o:p></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class="MsoNormal">'
        "<b>From:</b> Ann Lee &lt;ann@lee.example&gt; <br><b>Sent:</b> 12 January 2026 17:14<br>"
        "<b>To:</b> sales@acme.example<br><b>Subject:</b> Discount?<o:p></o:p></p></div>"
        '<p class="MsoNormal">Is there a discount?<o:p></o:p></p></div></body></html>'
    )
    text = html_to_text(html, strip_quotes=True)
    assert "p.MsoNormal" not in text
    assert clean_email_body(text) == "Hi Ann,\n\nWe can offer 15% off for a two-year contract."
