"""Shared phrase banks (names, small talk, acknowledgements) and the text-noise helpers."""

from __future__ import annotations

FIRST_NAMES = [
    "Sarah", "Michael", "Priscilla", "David", "Emma", "James", "Olivia", "Daniel", "Grace", "Ryan",
    "Hannah", "Kevin", "Laura", "Marcus", "Nicole", "Peter", "Rachel", "Steven", "Tanya", "Victor",
    "Wendy", "Adam", "Beth", "Carlos", "Diane", "Ethan", "Fiona", "George", "Holly", "Isaac",
    "Jasmine", "Kyle", "Lucy", "Mohammed", "Nora", "Oscar", "Paula", "Quentin", "Rosa", "Simon",
    "Tara", "Umar", "Vanessa", "Will", "Yasmin", "Zach", "Amir", "Bianca", "Connor", "Deepa",
    "Elliot", "Farah", "Gavin", "Harriet", "Ivan", "Julia", "Kofi", "Leah", "Mei", "Nathan",
]
LAST_NAMES = [
    "Anderson", "Brooks", "Campbell", "Dawson", "Evans", "Fletcher", "Gordon", "Hughes", "Irwin",
    "Jensen", "Khan", "Lawson", "Mitchell", "Nguyen", "O'Brien", "Parker", "Quinn", "Reyes",
    "Sullivan", "Thompson", "Underwood", "Vaughn", "Walsh", "Young", "Zimmerman", "Ahmed", "Baker",
    "Chen", "Douglas", "Ellis", "Foster", "Garcia", "Harper", "Ito", "Jackson", "Kowalski",
    "Lopez", "Murphy", "Novak", "Osei", "Patel", "Rossi", "Schmidt", "Torres", "Wallace",
]
# A few customers have names that need RFC 2047 encoding in email headers.
NON_ASCII_NAMES = [
    ("José", "Müller"), ("Zoë", "Brennan"), ("Łukasz", "Wójcik"), ("Renée", "Dubois"),
    ("Björn", "Halvorsen"), ("Chloé", "Martin"), ("Núria", "Puig"), ("François", "Lefèvre"),
    ("Jiří", "Novák"), ("Siobhán", "Gallagher"), ("Gökhan", "Yılmaz"), ("Mónica", "Ibáñez"),
    ("Søren", "Dahl"), ("Zoltán", "Kovács"), ("Inês", "Araújo"), ("Dagný", "Jónsdóttir"),
]
PERSONAL_DOMAINS = [
    "example.com", "example.net", "example.org", "mail.example", "inbox.test", "postbox.example",
    "homemail.test", "webmail.example",
]

GREETINGS = ["Hi", "Hi there", "Hello", "Hey", "Hiya", "hi", "hello", "Hey there"]
EMAIL_GREETINGS = ["Hi {name},", "Hello {name},", "Dear {name},", "Hi {name}!", "{name},", "Hey {name},"]

SMALL_TALK = [
    "Hope you're having a good week!",
    "Happy Friday!",
    "Sorry for the slow reply, it's been a hectic week.",
    "It's freezing out today.",
    "sorry, typing this on my phone",
    "Thanks for getting back to me so quickly.",
    "Hope this is the right place to ask.",
    "Apologies if this is a silly question.",
    "Long time no speak!",
    "Sorry, I got pulled into a meeting.",
    "Hope you had a nice weekend.",
    "Thanks for your patience with all my questions.",
    "Sorry, the kids were yelling in the background lol",
    "Just back from holiday so catching up on everything.",
    "Hope the rain's not too bad where you are.",
    "Appreciate the quick response as always.",
]
ACKS = [
    "ok thanks", "Great, thank you!", "perfect", "thanks so much", "got it", "Sounds good.",
    "Brilliant, thanks.", "ok cool", "Thank you!", "cheers", "Super helpful, thanks.", "great",
    "Okay, makes sense.", "Ah ok, good to know.", "thx", "Lovely, thanks.", "Noted, thank you.",
]
AGENT_CLOSERS = [
    "You're welcome! Anything else I can help with?",
    "My pleasure!",
    "No problem at all.",
    "Happy to help!",
    "Any time, just shout if anything else comes up.",
    "Glad that helps!",
]
# The customer accepts the agent's answer to an objection (followed by a next-stage message).
RESOLVED_ACKS = [
    "Oh ok, that makes a big difference.",
    "That actually helps a lot, thanks.",
    "Okay that sounds much more doable.",
    "Good to know, that puts my mind at ease.",
    "Ah I didn't realise that, great.",
    "Alright, you've convinced me.",
    "Perfect, that works for me.",
    "Ok, fair enough.",
    "That's reassuring, thank you.",
    "Right, that changes things.",
    "Oh nice, I didn't know that was an option.",
    "Okay, I feel a lot better about it now.",
    "That's what I needed to hear.",
    "Great, that sorts it.",
    "Hm ok, that seems reasonable.",
    "Thanks for explaining, that helps.",
]
# The customer is not persuaded but says nothing objectionable (and then goes quiet).
UNRESOLVED = [
    "Ok, I'll have a think and let you know.",
    "Thanks, I'll keep it in mind.",
    "Alright. I'll get back to you.",
    "Hmm ok. Let me think about it.",
    "Noted, thanks for the info.",
    "ok",
    "I'll see how things go and maybe be in touch.",
    "Thanks anyway.",
    "Okay, I'll mull it over.",
    "Right. I'll let you know if anything changes.",
    "Sure, thanks for your time.",
    "I'll think about it over the weekend.",
    "ok thanks, bye",
    "Understood. I'll be in touch.",
]
REPEAT_PREFIXES = [
    "I understand, but ", "Sure, but honestly ", "I get that, still ", "Thanks, although ",
    "Maybe, but ", "Hmm, I hear you but ", "Appreciate it, but ", "Even so, ",
]
# The customer returns after silence.
RETURN_PREFIXES = [
    "Sorry for going quiet! ", "Hi again. ", "Apologies for the delay. ", "Back again, ",
    "Sorry, things got busy. ", "Hi, me again. ", "", "", "",
]
SIGNOFFS = ["Thanks", "Thanks!", "Best", "Cheers", "Many thanks", "Kind regards", "Thank you", "Regards", "Best wishes"]

TYPOS = {
    "the": "teh", "definitely": "definately", "receive": "recieve", "which": "wich", "really": "realy",
    "appointment": "appointmnet", "because": "becuase", "their": "thier", "tomorrow": "tommorow",
    "question": "qeustion", "separate": "seperate", "probably": "probly", "would": "woudl",
    "thanks": "thnaks", "know": "konw", "just": "jsut", "about": "abotu", "invoice": "invocie",
    "you": "u", "please": "pls", "are": "r",
}


def add_typo(rng, text: str) -> str:
    """Introduce one realistic typo (a common misspelling or two swapped letters)."""
    words = text.split(" ")
    cands = [i for i, w in enumerate(words) if w.lower().strip(".,!?") in TYPOS]
    if cands and rng.random() < 0.6:
        i = rng.choice(cands)
        w = words[i]
        core = w.lower().strip(".,!?")
        tail = w[len(w.rstrip(".,!?")):]
        words[i] = TYPOS[core] + tail
        return " ".join(words)
    long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def chat_style(rng, text: str, casual: float) -> str:
    """Make a customer chat message look typed: lower case, dropped full stop, a typo."""
    if rng.random() < casual * 0.5:
        text = text[0].lower() + text[1:] if text else text
    if rng.random() < casual * 0.4:
        text = text.lower()
    if rng.random() < casual * 0.5 and text.endswith("."):
        text = text[:-1]
    if rng.random() < casual * 0.35:
        text = add_typo(rng, text)
    return text

# Agents' acknowledgements of a particular concern (open a reply, or are the whole of an
# empathy-only reply together with an empathy phrase).
KIND_ACKS = {
    "price": ["I hear you on the cost.", "Totally fair to want it to fit the budget.",
              "Understood, cost matters.", "Thanks for being open about the budget."],
    "timing": ["Understood on the timing.", "Makes sense that now is a busy time.",
               "Fair enough, timing is everything.", "I get that the timing is tricky."],
    "authority": ["Of course, it makes sense to involve them.", "Absolutely, it's a joint decision.",
                  "Good idea to check with them first.", "That's completely sensible."],
    "trust": ["That's a fair question to ask.", "I'm glad you raised that.",
              "It's right to be careful.", "Totally reasonable to want some reassurance."],
    "competitor": ["Good to know what you're comparing us with.", "It makes sense to shop around.",
                   "Thanks for telling me about the other option.", "Happy to help you compare."],
    "need": ["Fair question.", "Good that you're asking whether you really need it.",
             "That's worth talking through.", "I understand wanting to be sure it's needed."],
    "contract": ["Fair point about the terms.", "I understand not wanting to be locked in.",
                 "Thanks for reading the fine print.", "That's a reasonable thing to check."],
    "implementation": ["I know switching is a lot of work.", "Fair concern about the effort involved.",
                       "Understood, nobody wants a long project.", "That's a really common worry."],
    "feature": ["Thanks for telling me what you need.", "Good question about that.",
                "I understand that's important for you.", "Fair point."],
    "security": ["Good question, and an important one.", "Totally right to ask about that.",
                 "Happy to go through that.", "That's a really important point."],
}
