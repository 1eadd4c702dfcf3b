"""E-mail ingestion and text cleaning speed on generated mail (no real data).

Writes ``benchmarks/results/email.json``. Usage::

    .venv/bin/python benchmarks/bench_email.py [N_THREADS]

Generates N_THREADS threads of 4 messages (plain, HTML-only, quoted-printable, windows-1252) as an
mbox and as a folder of .eml files, then times ``read_email`` on each, and ``clean_message`` and
``redact`` on the message bodies. Also reports how well threads, journeys, roles and times agree
with the ground truth of ``sample_transcripts/`` (its inboxes are generated with known threads).
"""

from __future__ import annotations

import json
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

WORDS = ("price plan annual monthly discount demo trial contract team seats support onboarding "
         "integration invoice refund cancel upgrade budget approval manager quote").split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 16))
    extra = rng.choice(["", " call me on +44 20 7946 0958", " mail me at a.b@example.com", ""])
    return " ".join(words).capitalize() + extra + rng.choice([".", "?", "!"])


def make_messages(n_threads: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for t in range(n_threads):
        customer = f"customer{t}@example.org"
        ids: list[str] = []
        prev_body = ""
        for k in range(4):
            agent = k % 2 == 1
            msg = EmailMessage()
            sender = f"Agent {k} <agent@acme.example>" if agent else f"Customer {t} <{customer}>"
            msg["From"] = sender
            msg["To"] = customer if agent else "sales@acme.example"
            msg["Subject"] = ("Re: " if k else "") + f"Question {t}"
            msg["Date"] = format_datetime(t0 + timedelta(days=t, hours=k))
            mid = f"<t{t}.m{k}@bench.example>"
            msg["Message-ID"] = mid
            if ids:
                msg["In-Reply-To"] = ids[-1]
                msg["References"] = " ".join(ids)
            body = "\n\n".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
            body += "\n\nBest regards,\nSam\nAcme | +1 415 555 0132\n"
            if prev_body:
                body += "\nOn Mon, Jan 5, 2026 at 10:00 AM Someone <x@y.example> wrote:\n"
                body += "\n".join("> " + ln for ln in prev_body.splitlines())
            kind = k % 3
            if kind == 0:
                msg.set_content(body, charset="utf-8", cte="quoted-printable")
            elif kind == 1:
                html = "<div>" + body.replace("\n", "<br>") + "</div>"
                msg.set_content(html, subtype="html", charset="utf-8", cte="base64")
            else:
                msg.set_content(body.replace("'", "\u2019"), charset="windows-1252", cte="8bit")
            prev_body = body
            ids.append(mid)
            out.append(bytes(msg))
    return out


def sample_agreement(root: Path) -> dict:
    """Agreement of threads, journeys, roles and times with sample_transcripts' ground truth."""
    import pandas as pd

    from mining.config import IngestSettings
    from mining.io.email import read_email
    from mining.io.email_threads import conversation_id

    labels = root / "sample_transcripts" / "ground_truth" / "labels.csv"
    if not labels.exists():
        return {"skipped": "sample_transcripts/ground_truth/labels.csv not found"}
    gt = pd.read_csv(labels)
    gt = gt[gt["channel"] == "email"].set_index("message_id")
    domains = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}
    out = {}
    for biz, dom in domains.items():
        box = root / "sample_transcripts" / biz / "inbox.mbox"
        if not box.exists():
            continue
        t = read_email(box, IngestSettings(agent_domains=[dom])).table.set_index("message_id")
        g = gt[gt["business"] == biz]
        common = t.index.intersection(g.index)
        ts = pd.to_datetime(g.loc[common, "timestamp"], utc=True)
        out[biz] = {
            "messages_ground_truth": len(g), "messages_read": len(t), "matched": len(common),
            "conversation_id_agreement": float((t.loc[common, "conversation_id"]
                                                == g.loc[common, "conversation_id"]
                                                .map(conversation_id)).mean()),
            "journey_id_agreement": float((t.loc[common, "journey_id"]
                                           == g.loc[common, "journey_id"].str.lower()).mean()),
            "role_agreement": float((t.loc[common, "role"] == g.loc[common, "role"]).mean()),
            "timestamp_agreement": float((t.loc[common, "timestamp"] == ts).mean()),
        }
    return out


def main() -> None:
    n_threads = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mining.config import IngestSettings
    from mining.io.email import read_email
    from mining.text.clean import clean_message
    from mining.text.redact import redact

    msgs = make_messages(n_threads)
    settings = IngestSettings(agent_domains=["acme.example"])
    results: dict = {"n_messages": len(msgs), "python": platform.python_version()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "eml"
        folder.mkdir()
        for i, data in enumerate(msgs):
            (folder / f"{i:06d}.eml").write_bytes(data)
        mbox = Path(tmp) / "all.mbox"
        with open(mbox, "wb") as fh:
            for data in msgs:
                fh.write(b"From bench@example Thu Jan  1 00:00:00 2026\n" + data + b"\n")
        for name, path in (("eml_folder", folder), ("mbox", mbox)):
            t = time.perf_counter()
            res = read_email(path, settings)
            secs = time.perf_counter() - t
            results[name] = {
                "seconds": round(secs, 3),
                "messages_per_second": round(len(msgs) / secs, 1),
                "accepted": len(res.table),
                "rejected": len(res.rejects),
                "threads": int(res.table["conversation_id"].nunique()),
            }
        texts = res.table["text"].tolist()
    t = time.perf_counter()
    for x in texts:
        clean_message(x, redact=False)
    secs = time.perf_counter() - t
    results["clean_message"] = {"texts": len(texts), "per_second": round(len(texts) / secs, 1)}
    t = time.perf_counter()
    n_chars = 0
    for x in texts:
        redact(x)
        n_chars += len(x)
    secs = time.perf_counter() - t
    results["redact"] = {"texts": len(texts), "per_second": round(len(texts) / secs, 1),
                         "mb_per_second": round(n_chars / secs / 1e6, 2)}
    results["sample_transcripts"] = sample_agreement(Path(__file__).resolve().parent.parent)
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out = Path(__file__).resolve().parent / "results" / "email.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
