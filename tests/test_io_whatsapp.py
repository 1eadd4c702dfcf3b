"""WhatsApp chat exports (.txt and .zip): line shapes, dates, roles, system lines, rejects."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mining.errors import InputError
from mining.io.corpus import load_corpus
from mining.io.whatsapp import read_whatsapp

DATA = Path(__file__).resolve().parent / "data" / "exports"
ANDROID = DATA / "whatsapp.txt"
IOS = DATA / "WhatsApp Chat - Jürgen Maier.txt"
BUSINESS = "Bright Smile Dental"


def _ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def _write(tmp_path: Path, text: str, name: str = "chat.txt") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_io_whatsapp_android_month_first_12_hour_clock():
    raw = ANDROID.read_text(encoding="utf-8")
    assert "\u202f" in raw  # the narrow no-break space Android puts before AM/PM
    c = load_corpus(ANDROID, agent_names=[BUSINESS])
    assert c.reconciles() and c.n_read == 15 and c.n_rejected == 0
    src = c.sources.iloc[0]
    assert (src["format"], src["read"], src["accepted"]) == ("whatsapp", 15, 15)
    m = c.messages
    assert m["role"].value_counts().to_dict() == {"customer": 6, "agent": 6, "system": 3}
    assert set(m.loc[m["role"] == "agent", "author"]) == {BUSINESS}
    assert set(m["channel"]) == {"whatsapp"} and m["conversation_id"].nunique() == 1
    # 3/13/24 can only be month-first; 6:45 PM is 18:45 (taken in UTC by default)
    booked = m[m["text"].str.startswith("Hi again")].iloc[0]
    assert booked["timestamp"] == _ts("2024-03-13 18:45")
    assert not any("W120" in n for n in c.notes)


def test_io_whatsapp_multi_line_media_caption_edit_marker_and_redaction():
    m = load_corpus(ANDROID, agent_names=[BUSINESS]).messages.set_index("text", drop=False)
    prices = m[m["text"].str.startswith("In-office whitening")].iloc[0]
    assert prices["text"].count("\n") == 1 and "payment plan" in prices["text"]
    phone = m[m["text"].str.startswith("Yes please!")].iloc[0]
    assert "415-555-0132" in phone["text"] and "<PHONE>" in phone["clean_text"]
    caption = m[m["text"].str.startswith("Here is the map")].iloc[0]
    assert caption["role"] == "agent" and "file attached" not in caption["text"]
    edited = m[m["text"].str.startswith("You're booked")].iloc[0]
    assert "edited" not in edited["text"]
    system = m[m["role"] == "system"]
    assert {"<Media omitted>", "This message was deleted"} <= set(system["text"])
    assert system["text"].str.contains("end-to-end encrypted").any()


def test_io_whatsapp_timezone_applies_to_phone_local_time():
    c = load_corpus(ANDROID, agent_names=[BUSINESS], timezone="America/Los_Angeles")
    first = c.messages.sort_values("timestamp").iloc[0]
    assert first["timestamp"] == _ts("2024-03-04 17:02")  # 9:02 AM PST


def test_io_whatsapp_ios_day_first_marks_bom_and_business_from_chat_name():
    raw = IOS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "\u200e".encode() in raw
    c = load_corpus(IOS)
    assert c.reconciles() and c.n_read == 9 and c.n_rejected == 0
    m = c.messages
    agents = set(m.loc[m["role"] == "agent", "author"])
    assert agents == {"Zahnarztpraxis Lindenhof"}
    assert any("W122" in n and "Zahnarztpraxis Lindenhof" in n for n in c.notes)
    late = m[m["text"].str.startswith("Ich nehme")].iloc[0]
    assert late["timestamp"] == _ts("2024-01-13 17:45:30")  # 13.01.24: day-first
    system = m[m["role"] == "system"]
    assert len(system) == 4  # encryption notice, two media lines, a deleted message
    notice = system[system["text"].str.contains("Ende-zu-Ende")].iloc[0]
    assert pd.isna(notice["author"])  # iOS names the chat there, not a sender
    assert not system["text"].str.startswith("\u200e").any()
    assert m.loc[m["text"].str.startswith("Guten Morgen Herr"), "text"].iloc[0].count("\n") == 1


def test_io_whatsapp_ambiguous_dates_note_and_override():
    path = DATA / "whatsapp_ambiguous.txt"
    c = load_corpus(path)
    assert any("W120" in n and "day-first" in n for n in c.notes)
    assert c.messages["timestamp"].min() == _ts("2024-03-05 14:02")
    c2 = load_corpus(path, date_order="mdy")
    assert c2.messages["timestamp"].min() == _ts("2024-05-03 14:02")
    assert not any("W120" in n for n in c2.notes)
    assert any("W121" in n for n in c.notes)  # nobody named: all customers, and said so
    assert set(c.messages["role"]) == {"customer"}


def test_io_whatsapp_time_order_decides_when_values_cannot(tmp_path):
    text = ("01/02/24, 10:00 - Ana: Hi, are you open tomorrow?\n"
            "01/03/24, 10:00 - Shop: Yes, 9 to 5.\n"
            "02/01/24, 10:00 - Ana: And on the first of February?\n")
    c = load_corpus(_write(tmp_path, text))
    assert any("W120" in n and "month-first" in n and "time order" in n for n in c.notes)
    assert list(c.messages["timestamp"]) == [_ts("2024-01-02 10:00"), _ts("2024-01-03 10:00"),
                                             _ts("2024-02-01 10:00")]


def test_io_whatsapp_impossible_date_is_a_numbered_reject():
    c = load_corpus(DATA / "whatsapp_bad_date.txt")
    assert c.reconciles() and (c.n_read, c.n_accepted, c.n_rejected) == (3, 2, 1)
    r = c.rejects.iloc[0]
    assert (r["record"], r["code"]) == ("3", "E164") and "--date-order mdy" in r["reason"]


@pytest.mark.parametrize(("clock", "want"), [
    ("12:30 AM", "00:30"), ("12:15 PM", "12:15"), ("1:05 p.m.", "13:05"), ("11:59 a. m.", "11:59"),
])
def test_io_whatsapp_twelve_hour_variants(tmp_path, clock, want):
    c = load_corpus(_write(tmp_path, f"12/24/23, {clock} - Ana: Happy holidays!\n"))
    assert c.messages["timestamp"].iloc[0] == _ts(f"2023-12-24 {want}")


def test_io_whatsapp_group_system_lines_and_exporter_from_deleted_line(tmp_path):
    text = ("[15/06/2024, 18:00:00] Yoga Hub: \u200eMessages and calls are end-to-end encrypted.\n"
            "15/06/2024, 18:01 - Yoga Hub created group \"Summer retreat\"\n"
            "15/06/2024, 18:02 - Mia joined using this group's invite link\n"
            "15/06/2024, 18:03 - Mia: Is the retreat suitable for beginners?\n"
            "15/06/2024, 18:04 - Yoga Hub: You deleted this message\n"
            "15/06/2024, 18:05 - Yoga Hub: Yes, absolutely!\n"
            "15/06/2024, 18:06 - Tom left\n")
    c = load_corpus(_write(tmp_path, text))
    m = c.messages
    assert c.reconciles() and len(m) == 7
    assert m["role"].tolist() == ["system", "system", "system", "customer", "system", "agent",
                                  "system"]
    assert any("W122" in n and "Yoga Hub" in n for n in c.notes)


def test_io_whatsapp_zip_with_media(tmp_path):
    archive = tmp_path / "WhatsApp Chat - Dana Whitfield.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("_chat.txt", ANDROID.read_bytes())
        zf.writestr("IMG-20240313-WA0004.jpg", b"\xff\xd8\xff\xe0" + bytes(64))
        zf.writestr("PTT-20240304-WA0001.opus", b"OggS" + bytes(64))
    c = load_corpus(archive)  # no --agent-name: the chat is named after Dana
    assert c.reconciles() and c.n_read == 15
    assert set(c.messages.loc[c.messages["role"] == "agent", "author"]) == {BUSINESS}
    assert any("2 media file(s)" in n for n in c.notes)
    same = load_corpus(ANDROID, agent_names=[BUSINESS]).messages
    assert sorted(c.messages["text"]) == sorted(same["text"])


def test_io_whatsapp_broken_and_empty_archives(tmp_path):
    bad = tmp_path / "chat.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError):  # not recognised as a WhatsApp export: unknown type
        load_corpus(bad)
    with pytest.raises(InputError, match="E161"):
        read_whatsapp(bad)
    empty = tmp_path / "photos.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("IMG-1.jpg", b"\xff\xd8" + bytes(10))
    with pytest.raises(InputError, match="E162"):
        read_whatsapp(empty)
    with pytest.raises(InputError, match="E160"):
        read_whatsapp(DATA / "not_whatsapp.txt")


def test_io_whatsapp_other_text_files_are_not_read(tmp_path):
    with pytest.raises(InputError, match="E101"):
        load_corpus(DATA / "not_whatsapp.txt")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("Meeting notes\nnothing here\n", encoding="utf-8")
    (folder / "chat.txt").write_bytes(ANDROID.read_bytes())
    c = load_corpus(folder, agent_names=[BUSINESS])
    assert c.n_read == 15 and any("notes.txt" in n for n in c.notes)


def test_io_whatsapp_ids_are_stable_across_re_exports(tmp_path):
    first = load_corpus(ANDROID, agent_names=[BUSINESS]).messages
    extra = "3/20/24, 8:00\u202fAM - Dana Whitfield: Running 5 min late!\n"
    longer = ANDROID.read_text(encoding="utf-8") + extra
    again = load_corpus(_write(tmp_path, longer, "export2.txt"), agent_names=[BUSINESS]).messages
    assert set(first["message_id"]) < set(again["message_id"])
    assert first["conversation_id"].iloc[0] == again["conversation_id"].iloc[0]
    assert first["message_id"].is_unique


def test_io_whatsapp_undecodable_bytes_cost_one_message(tmp_path):
    p = tmp_path / "chat.txt"
    p.write_bytes(b"1/5/24, 9:00 AM - Ana: Hello\n1/5/24, 9:01 AM - Ana: caf\xe9 menu?\n")
    c = load_corpus(p)
    assert (c.n_read, c.n_accepted) == (2, 1) and c.rejects["code"].tolist() == ["E115"]


def test_cli_run_whatsapp_end_to_end(tmp_path):
    from mining.cli import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(ANDROID), "--agent-name", BUSINESS, "-o", str(out),
                                   "--embedder", "hash", "--reducer", "pca"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file() and "report.html" in res.output
    tags = pd.read_csv(out / "tags.csv")
    assert len(tags) == 15 and set(tags["role"]) == {"customer", "agent", "system"}
    assert (tags["channel"] == "whatsapp").all()


def test_cli_validate_date_order_option(tmp_path):
    from mining.cli import app

    res = CliRunner().invoke(app, ["validate", str(DATA / "whatsapp_ambiguous.txt"),
                                   "--date-order", "mdy", "--json"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["validate", str(DATA / "whatsapp_ambiguous.txt"),
                                   "--date-order", "ymd"])
    assert res.exit_code == 2 and "date_order" in res.output and "Traceback" not in res.output


@pytest.mark.slow
def test_cli_run_whatsapp_with_the_real_model(tmp_path, st_embedder):
    """The issue's command as written: the packaged model, UMAP and HDBSCAN on a WhatsApp chat."""
    from mining.cli import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(ANDROID), "--agent-name", BUSINESS, "-o", str(out)])
    assert res.exit_code == 0, res.output
    tags = pd.read_csv(out / "tags.csv")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert len(tags) == 15 and "whatsapp" in html
    customer = tags[tags["role"] == "customer"]
    assert customer["is_objection"].astype(str).str.lower().eq("true").any()


def test_themes_input_reads_whatsapp_with_agent_name():
    from mining.cli._options import build_settings
    from mining.themes.run import read_corpus_rows

    settings = build_settings(agent_names=[BUSINESS], date_order="mdy")
    assert settings.ingest.agent_names == [BUSINESS] and settings.ingest.date_order == "mdy"
    rows, _ = read_corpus_rows([ANDROID], "reply", settings=settings)
    assert len(rows) == 6  # the business's own messages are the replies
    rows, _ = read_corpus_rows([ANDROID], "reply")
    assert len(rows) == 0  # nobody named, a plain file name: every author is a customer


@pytest.mark.parametrize(("line", "kind"), [
    ("<Multimedia omitido>", "media"), ("<Médias omis>", "media"), ("<Mídia oculta>", "media"),
    ("imagen omitida", "media"), ("IMG-20240101-WA0001.jpg (archivo adjunto)", "media"),
    ("Se eliminó este mensaje.", "deleted"), ("Ce message a été supprimé", "deleted"),
    ("Esta mensagem foi apagada", "deleted"), ("Missed voice call", "call"),
    ("Llamada de voz perdida", "call"),
    ("My photo <Media omitted> is attached", "message"), ("deleted my account lol", "message"),
])
def test_io_whatsapp_locale_placeholders(line, kind):
    from mining.io.whatsapp import _kind, _Msg

    got, _ = _kind(_Msg(1, ("1", "2", "24"), "10:00", None, "Ana", "1/2/24", [line]))
    assert got == kind


@pytest.mark.parametrize("line", [
    "Los mensajes y las llamadas están cifrados de extremo a extremo.",
    "Les messages et les appels sont chiffrés de bout en bout.",
])
def test_io_whatsapp_locale_encryption_notices(line, tmp_path):
    c = load_corpus(_write(tmp_path, f"2/1/24, 10:00 - {line}\n2/1/24, 10:01 - Ana: Hola\n"))
    assert c.messages["role"].tolist() == ["system", "customer"]
    assert any("encryption notice" in n for n in c.notes)


def test_io_whatsapp_utf16_file_with_bom(tmp_path):
    p = tmp_path / "chat.txt"
    p.write_bytes("15/06/2024, 18:03 - Mia: Is the retreat suitable for beginners?\n"
                  .encode("utf-16"))
    c = load_corpus(p)
    assert c.n_accepted == 1 and c.messages["timestamp"].iloc[0] == _ts("2024-06-15 18:03")
