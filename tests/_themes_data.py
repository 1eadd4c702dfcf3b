"""Hand-written multi-intent customer messages for theme tests (written for this project)."""

INTENTS = {
    "refund": [
        "I want my money back for the blender, it broke after two days",
        "Hi, can I get a refund for order 5512?",
        "Please refund the jacket I returned last week",
        "How long does a refund take to reach my bank account?",
        "I returned the shoes but never got refunded",
        "Hello! I would like a refund, the item arrived damaged",
        "Can you give me my money back? The lamp does not work",
        "Still waiting for my refund after three weeks",
        "I'd like to request a refund for a duplicate purchase",
        "Where is the refund for my cancelled order?",
    ],
    "delivery": [
        "Where is my package? It was supposed to arrive yesterday",
        "My parcel has not been delivered yet",
        "Hi there, the tracking page has not updated in five days",
        "When will my order be delivered?",
        "The courier says delivered but there is no parcel at my door",
        "Good morning, my delivery is late again",
        "Can you tell me when my shipment will arrive?",
        "My order is stuck in transit, can you check?",
        "The package went to the wrong address",
        "How many days does shipping take to Canada?",
    ],
    "password": [
        "I forgot my password and cannot log in",
        "The password reset email never arrives",
        "Hi, how do I reset my password?",
        "My account is locked after too many login attempts",
        "I can't sign in to my account, it says wrong password",
        "Please help me change my password",
        "Login keeps failing even with the right password",
        "The reset link for my password has expired",
        "Hello, my name is Sam. I cannot access my account anymore.",
        "How can I unlock my account?",
    ],
    "price": [
        "This is too expensive for a small business like mine",
        "Do you have a cheaper plan?",
        "Your prices went up again, that is a lot of money",
        "Is there a discount for annual billing?",
        "The premium plan costs too much for us",
        "Can you lower the price if we sign for two years?",
        "Honestly the price is higher than your competitors",
        "We can't afford the monthly fee right now",
        "Any student discount available?",
        "Is there a free tier or a cheaper option?",
    ],
}


def texts_and_labels() -> tuple[list[str], list[str]]:
    """Return the messages and their intent names, intent by intent."""
    texts, labels = [], []
    for intent, msgs in INTENTS.items():
        texts += msgs
        labels += [intent] * len(msgs)
    return texts, labels
