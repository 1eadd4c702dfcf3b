"""Customer and agent sentences for cue-matching tests: concerns, negated and cancelled cues,
requests, agreement, empty and missing texts."""

TEXTS = [
    "That's way too expensive for us right now.", "The price isn't an issue, honestly.",
    "We don't want to be locked in to a long contract.", "Not too expensive at all.",
    "Let me talk to my manager first and get back to you.", "Hi! How much is the premium plan?",
    "Sounds great, sign me up.", "We already use another tool for this.", "ok", "", None,
    "Could you do a discount if we pay yearly?", "I'd need to think about it over the weekend.",
    "What do you offer for small teams?", "We can waive the setup fee this month.",
    "Honestly the contract length worries me, but the price is fine.",
    "Send me the invoice and I'll pay today.",
]
