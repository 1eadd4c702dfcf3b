"""E-mail reader: .eml folders and mbox, threading, charsets, quote/signature removal, rejects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from mining.config import IngestSettings
from mining.errors import InputError
from mining.io.email import read_email, read_email_sources
from mining.io.email_body import decode_bytes
from mining.io.email_threads import normalize_subject, parse_ids
from mining.schema import check

DATA = Path(__file__).parent / "data" / "email"
ACME = IngestSettings(agent_domains=["acme-tools.com"])
ZOE = "zoe.mueller@gmail.com"
THREAD = [DATA / "thread", DATA / "thread" / "archive.mbox"]  # .eml folder + mbox, read together


@pytest.fixture(scope="module")
def thread() -> pd.DataFrame:
    res = read_email(THREAD, ACME)
    assert res.rejects.empty
    return res.table


def _row(table: pd.DataFrame, source_suffix: str) -> pd.Series:
    rows = table[table["source"].str.endswith(source_suffix)]
    assert len(rows) == 1, source_suffix
    return rows.iloc[0]


def test_io_email_table_conforms_to_schema(thread):
    assert check(thread, "messages") == []
    assert thread["message_id"].is_unique
    assert set(thread["channel"]) == {"email"}
    assert thread["timestamp"].notna().all()


def test_io_email_thread_across_eml_and_mbox(thread):
    zoe = thread[thread["journey_id"] == ZOE]
    # Gmail root, Outlook reply (.eml), Apple Mail reply with In-Reply-To only and an Outlook on
    # the web reply without any linking header (joined by subject) - the last two in an mbox.
    assert len(zoe) == 4
    assert zoe["conversation_id"].nunique() == 1
    assert sorted(zoe["source"].str.rsplit("/", n=1).str[-1]) == [
        "01_gmail_customer.eml", "02_outlook_agent.eml", "archive.mbox#1", "archive.mbox#2",
    ]
    assert list(zoe.sort_values("timestamp")["role"]) == ["customer", "agent", "customer", "agent"]


def test_io_email_conversation_id_is_stable_root_hash(thread, tmp_path):
    conv = _row(thread, "01_gmail_customer.eml")["conversation_id"]
    assert conv.startswith("email-")
    # Without the root message in the corpus, the replies still get the same conversation id,
    # because their References name the root.
    shutil.copy(DATA / "thread" / "02_outlook_agent.eml", tmp_path)
    shutil.copy(DATA / "thread" / "archive.mbox", tmp_path)
    partial = read_email([tmp_path, tmp_path / "archive.mbox"], ACME).table
    assert set(partial["conversation_id"]) == {conv}


def test_io_email_subject_fallback_needs_shared_participants(thread):
    bob = _row(thread, "03_other_customer.eml")
    zoe_conv = _row(thread, "01_gmail_customer.eml")["conversation_id"]
    assert bob["conversation_id"] != zoe_conv
    assert bob["journey_id"] == "bob@leeplumbing.example"


def test_io_email_roles_authors_and_encoded_names(thread):
    root = _row(thread, "01_gmail_customer.eml")
    assert root["role"] == "customer"
    assert root["author"] == "Zoë Müller"  # =?UTF-8?Q?...?= encoded-word
    agent = _row(thread, "02_outlook_agent.eml")
    assert agent["role"] == "agent"
    assert agent["author"] == "Daniel O'Brien"
    assert agent["message_id"].endswith("@DB9PR08MB6588.eurprd08.prod.outlook.com")
    assert not agent["message_id"].startswith("<")


def test_io_email_agent_address_and_subdomain():
    by_address = IngestSettings(agent_addresses=["Daniel.OBrien@acme-tools.com"])
    t = read_email(THREAD, by_address).table
    roles = dict(zip(t["source"].str.rsplit("/", n=1).str[-1], t["role"], strict=True))
    assert roles["02_outlook_agent.eml"] == "agent"
    assert roles["01_gmail_customer.eml"] == "customer"
    no_agents = read_email(THREAD, IngestSettings())
    assert set(no_agents.table["role"]) == {"customer"}
    assert any("agent" in n for n in no_agents.notes)


def test_io_email_timestamps_to_utc(thread):
    root = _row(thread, "01_gmail_customer.eml")
    assert root["timestamp"] == pd.Timestamp("2026-01-12 17:13:51", tz="UTC")  # +0100
    assert str(thread["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_io_email_gmail_plain_part_preferred_and_cleaned(thread):
    root = _row(thread, "01_gmail_customer.eml")
    assert "Is there a discount for annual billing?" in root["text"]
    assert "Operations Lead" in root["text"]  # text is the body as given
    clean = root["clean_text"]
    assert clean.endswith("does it integrate with Shopify?")
    assert "Cheers" not in clean and "Operations Lead" not in clean and "+49" not in clean


def test_io_email_outlook_windows1252_quotes_signature_disclaimer(thread):
    agent = _row(thread, "02_outlook_agent.eml")
    assert "Yes – annual billing" in agent["text"]  # windows-1252 en dash, quoted-printable
    assert "Daniel O’Brien" in agent["text"]
    clean = agent["clean_text"]
    assert clean.endswith("Would a quick call on Thursday work to walk you through it?")
    for gone in ("Kind regards", "Direct:", "confidential", "From:", "We’re a team of 12"):
        assert gone not in clean


def test_io_email_apple_iphone_latin1_reply(thread):
    reply = _row(thread, "archive.mbox#1")
    assert reply["author"] == "Zoë Müller"  # iso-8859-1 encoded-word
    assert reply["clean_text"] == (
        "Thursday works, but honestly 20% still feels expensive compared to what we pay now. "
        "Could you send me a written quote first?"
    )
    assert "Sent from my iPhone" in reply["text"]


def test_io_email_outlook_web_html_only_base64(thread):
    owa = _row(thread, "archive.mbox#2")
    assert "31 January" in owa["text"] and "<div" not in owa["text"]
    assert owa["clean_text"].startswith("Hi Zoë,")
    assert owa["clean_text"].endswith("we can add the onboarding package for free.")
    assert "Thursday works" not in owa["clean_text"]
    assert "Sent:" not in owa["clean_text"]


@pytest.fixture(scope="module")
def samples():
    res = read_email(DATA / "samples", IngestSettings(agent_domains=["acme-tools.com"],
                                                      timezone="Europe/Berlin"))
    return res


def test_io_email_gmail_html_only_drops_quote_and_signature(samples):
    row = _row(samples.table, "gmail_html_only.eml")
    assert "On Wed, 21 Jan 2026" in row["text"]
    assert row["clean_text"] == (
        "Hi Priya,\n\nThanks for the demo yesterday. My business partner thinks the setup fee of "
        "€499 is too steep for a shop our size – is there any flexibility there?"
    )
    assert row["author"] == "Tomás García"


def test_io_email_apple_forward_keeps_only_the_comment(samples):
    row = _row(samples.table, "apple_forward.eml")
    assert row["clean_text"] == (
        "Hi Daniel,\n\nCan you check the invoice below? We were charged twice this month."
    )


def test_io_email_charset_fallbacks(samples):
    cp = _row(samples.table, "cp1252_no_charset.eml")
    assert "“Starter” plan at €19" in cp["text"]
    assert "company’s name" in cp["clean_text"]
    utf = _row(samples.table, "utf8_labelled_latin1.eml")
    assert utf["text"].startswith("Grüße aus München!")
    assert utf["author"] == "Jürgen Weiß"


def test_io_email_naive_date_uses_timezone_setting(samples):
    cp = _row(samples.table, "cp1252_no_charset.eml")  # "-0000": local time unknown
    assert cp["timestamp"] == pd.Timestamp("2026-01-20 09:00", tz="UTC")  # 10:00 Berlin


def test_io_email_german_outlook_and_received_date_fallback(samples):
    row = _row(samples.table, "outlook_german_no_date.eml")
    assert row["clean_text"].endswith("wir melden uns im Frühjahr wieder.")
    assert "Freundlichen" not in row["clean_text"] and "Von:" not in row["clean_text"]
    assert row["timestamp"] == pd.Timestamp("2026-01-27 08:15:02", tz="UTC")
    assert any("Received" in n for n in samples.notes)


def test_io_email_every_reject_code():
    res = read_email(DATA / "rejects", ACME)
    codes = dict(zip(res.rejects["source"].str.rsplit("/", n=1).str[-1], res.rejects["code"],
                     strict=True))
    assert codes == {
        "attachment_only.eml": "E151",
        "binary.eml": "E150",
        "no_headers.eml": "E150",
        "only_quote.eml": "E152",
        "undecodable.eml": "E153",
        "dup_b.eml": "E114",
    }
    assert res.n_read == len(res.table) + len(res.rejects) == 7
    dup = res.rejects[res.rejects["code"] == "E114"].iloc[0]
    assert "dup_a.eml" in dup["reason"]
    # reasons never quote message text
    assert not res.rejects["reason"].str.contains("bank transfer|29 USD|Pro costs").any()


def test_io_email_oversized_message_rejected():
    res = read_email(DATA / "samples" / "apple_forward.eml",
                     IngestSettings(max_message_chars=40))
    assert res.table.empty
    assert list(res.rejects["code"]) == ["E116"]


def test_io_email_unreadable_file_in_folder(tmp_path):
    shutil.copy(DATA / "rejects" / "dup_a.eml", tmp_path / "ok.eml")
    (tmp_path / "broken.eml").symlink_to(tmp_path / "missing-target.eml")
    (tmp_path / "archive.mbox").write_text("not read: mbox files are named explicitly\n")
    res = read_email(tmp_path, ACME)
    assert len(res.table) == 1
    assert list(res.rejects["code"]) == ["E154"]
    assert res.n_read == 2


def test_io_email_input_errors(tmp_path):
    with pytest.raises(InputError, match="E100"):
        read_email(tmp_path / "nope.mbox")
    with pytest.raises(InputError, match="E108"):
        read_email(tmp_path)
    bad = tmp_path / "inbox.mbox"
    bad.write_text("Subject: hello\n\nnot an mbox\n")
    with pytest.raises(InputError, match="E102"):
        read_email(bad)
    binary = tmp_path / "bin.mbox"
    binary.write_bytes(b"From x\n\x00\x01\x02")
    with pytest.raises(InputError, match="E105"):
        read_email(binary)


def test_io_email_several_paths_thread_together(tmp_path):
    res = read_email([DATA / "thread" / "01_gmail_customer.eml", DATA / "thread" / "archive.mbox"],
                     ACME)
    # the mbox reply names the Outlook message (absent) in In-Reply-To, whose References are
    # unknown here: the Apple Mail reply is its own thread, and the headerless Outlook-on-the-web
    # reply joins it by subject and participants.
    assert res.n_read == 3
    mbox = res.table[res.table["source"].str.contains("archive.mbox")]
    assert mbox["conversation_id"].nunique() == 1


def test_io_email_missing_message_id_is_deterministic_and_deduplicated(tmp_path):
    raw = (
        "From: Ann <ann@shop.example>\nTo: sales@acme-tools.com\nSubject: Hello\n"
        "Date: Mon, 26 Jan 2026 10:00:00 +0000\n\nDo you ship to Canada?\n"
    )
    (tmp_path / "a.eml").write_text(raw)
    (tmp_path / "box.mbox").write_text("From ann@shop.example Mon Jan 26 10:00:00 2026\n" + raw)
    res = read_email([tmp_path, tmp_path / "box.mbox"], ACME)
    assert len(res.table) == 1 and list(res.rejects["code"]) == ["E114"]
    mid = res.table["message_id"].iloc[0]
    assert mid.endswith("@journeymine.generated")
    assert read_email(tmp_path / "a.eml", ACME).table["message_id"].iloc[0] == mid


def test_io_email_format_flowed_and_crlf(tmp_path):
    raw = (
        "From: Ann <ann@shop.example>\r\nTo: sales@acme-tools.com\r\nSubject: Flowed\r\n"
        "Date: Mon, 26 Jan 2026 10:00:00 +0000\r\nMessage-ID: <flowed-1@shop.example>\r\n"
        "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        "This line is soft \r\nwrapped by the client.\r\n\r\nSecond paragraph.\r\n"
    )
    (tmp_path / "f.eml").write_bytes(raw.encode())
    row = read_email(tmp_path / "f.eml", ACME).table.iloc[0]
    assert row["text"] == "This line is soft wrapped by the client.\n\nSecond paragraph."


def test_io_email_missing_date_is_nat_with_note(tmp_path):
    (tmp_path / "x.eml").write_text(
        "From: Ann <ann@shop.example>\nSubject: No date\nMessage-ID: <nd@shop.example>\n\nHi!\n"
    )
    res = read_email(tmp_path, ACME)
    assert res.table["timestamp"].isna().all()
    assert any("no usable date" in n for n in res.notes)


@pytest.mark.parametrize(
    ("subject", "norm", "reply"),
    [
        ("Re: Fwd: [EXTERNAL] Pricing  Question", "pricing question", True),
        ("AW: WG: Angebot", "angebot", True),
        ("SV: Tilbud", "tilbud", True),
        ("RE[2]: Offer", "offer", True),
        ("Fwd: Invoice", "invoice", False),
        ("Pricing", "pricing", False),
    ],
)
def test_io_email_normalize_subject(subject, norm, reply):
    assert normalize_subject(subject) == (norm, reply)


def test_io_email_parse_ids():
    assert parse_ids("<a@x> <b@y>\n <a@x>") == ["a@x", "b@y"]
    assert parse_ids("c@z") == ["c@z"]
    assert parse_ids(None) == []


def test_io_email_decode_bytes_chain():
    assert decode_bytes("café".encode(), "iso-8859-1") == ("café", True)  # mislabelled UTF-8
    assert decode_bytes("\u201cok\u201d".encode("cp1252"), "us-ascii")[0] == "\u201cok\u201d"
    assert decode_bytes("naïve".encode("latin-1"), "x-unknown")[0] == "naïve"
    assert decode_bytes("日本".encode("shift_jis"), "shift_jis")[0] == "日本"
    assert decode_bytes(bytes(range(40)) * 5, "utf-8")[1] is False


def test_io_email_corrupted_files_never_crash(tmp_path):
    import random

    rng = random.Random(7)
    sources = sorted(DATA.rglob("*.eml"))
    for i in range(60):
        data = bytearray(rng.choice(sources).read_bytes())
        for _ in range(rng.randint(1, 20)):
            pos = rng.randrange(max(1, len(data)))
            op = rng.random()
            if op < 0.4 and data:
                data[pos] = rng.randrange(256)
            elif op < 0.7:
                del data[pos : pos + rng.randint(1, 200)]
            else:
                data[pos:pos] = rng.choice([b"\n", b"=?", b"?=", b"<", b"--", b"\n\n",
                                            b"; charset=utf-16", b"\x00", b"\xff\xfe"])
        (tmp_path / f"{i:03d}.eml").write_bytes(bytes(data))
    res = read_email(tmp_path, ACME)
    assert res.n_read == 60 == len(res.table) + len(res.rejects)
    assert set(res.rejects["code"]) <= {"E114", "E150", "E151", "E152", "E153"}


def test_io_email_sources_thread_together_but_count_separately(thread):
    folder, mbox = read_email_sources(THREAD, ACME)
    assert (folder.source, mbox.source) == tuple(str(p) for p in THREAD)
    assert (folder.n_read, mbox.n_read) == (3, 2)
    assert len(folder.table) == 3 and len(mbox.table) == 2
    combined = pd.concat([folder.table, mbox.table]).sort_values("message_id")
    expected = thread.sort_values("message_id")
    assert combined["conversation_id"].tolist() == expected["conversation_id"].tolist()
    assert combined["journey_id"].tolist() == expected["journey_id"].tolist()
    # read one at a time, the mbox replies lose their link to the thread root
    alone = read_email(THREAD[1], ACME).table
    assert set(alone["conversation_id"]) != set(mbox.table["conversation_id"])


def test_io_email_auto_replies_are_system_messages(tmp_path):
    shutil.copy(DATA / "thread" / "01_gmail_customer.eml", tmp_path)
    (tmp_path / "ooo.eml").write_text(
        "From: Priya Nair <priya.nair@acme-tools.com>\nTo: zoe.mueller@gmail.com\n"
        "Subject: Automatic reply: Question about the Pro plan pricing\n"
        "Date: Mon, 12 Jan 2026 17:14:00 +0000\nMessage-ID: <ooo-1@acme-tools.com>\n"
        "In-Reply-To: <CAF3xK9qT7yZ=Lw2m+8bqZ3sQk9nV_3fH5d1aB6r2Yp-Gk@mail.gmail.com>\n"
        "Auto-Submitted: auto-replied\n\nI am out of the office until Monday.\n"
    )
    t = read_email(tmp_path, ACME).table.set_index("message_id")
    assert t.loc["ooo-1@acme-tools.com", "role"] == "system"
    assert t["conversation_id"].nunique() == 1
    assert set(t["journey_id"]) == {ZOE}


def test_io_email_mbox_from_line_date_fallback(tmp_path):
    box = tmp_path / "box.mbox"
    box.write_bytes(
        b"From ann@shop.example Wed Jan 14 20:40:05 2026\r\n"
        b"From: Ann <ann@shop.example>\r\nSubject: Hi\r\nMessage-ID: <d1@shop.example>\r\n\r\n"
        b"Is the Pro plan monthly?\r\n>From the FAQ I could not tell.\r\n"
    )
    res = read_email(box, ACME)
    row = res.table.iloc[0]
    assert row["timestamp"] == pd.Timestamp("2026-01-14 20:40:05", tz="UTC")
    assert row["source"].endswith("box.mbox#1")
    assert row["clean_text"].endswith("From the FAQ I could not tell.")  # mboxrd unescaped
    assert any("mbox 'From ' line" in n for n in res.notes)


def test_io_email_address_headers():
    from mining.io.email_body import addresses

    value = ("'Zoë Müller' <Zoe@Example.COM>, =?utf-8?q?M=C3=BCller=2C_Zo=C3=AB?= <a@b.example>, "
             '"Lee, Ann" <ann@lee.example>, undisclosed-recipients:;')
    assert addresses(value) == [
        ("Zoë Müller", "zoe@example.com"),
        ("Müller, Zoë", "a@b.example"),
        ("Lee, Ann", "ann@lee.example"),
    ]
