"""The behavioural model: who objects when, which reply works, who goes cold.

These numbers are the *causes* planted in the simulation. The README reports the *realised*
figures, recomputed from the generated files (see ``effects.py``), not these inputs.
"""

STAGES = ("awareness", "consideration", "decision", "purchase", "retention")
KINDS = ("price", "timing", "authority", "trust", "competitor", "need", "contract",
         "implementation", "feature", "security")
STRATEGIES = ("discount", "value", "social_proof", "guarantee", "payment", "clarification",
              "scheduling", "empathy")

# Chance that a journey that raised no objection in a stage moves on to the next one.
P_ADVANCE = {"awareness": 0.90, "consideration": 0.60, "decision": 0.84, "purchase": 0.96}
# Channel of the first customer message scales every chance to move on (advance, or resolve an
# objection): chat converts better.
CHANNEL_FACTOR = {"chat": 1.0, "email": 0.85}
# Number of agent follow-ups (unanswered chasers) in the first 7 days scales the same chances.
CADENCE_FACTOR = {0: 1.0, 1: 0.88, 2: 0.96, 3: 1.05, 4: 1.08}
CADENCE_WEIGHTS = {0: 20, 1: 26, 2: 18, 3: 20, 4: 16}

# Chance that a customer raises an objection in a stage.
P_OBJECTION = {"awareness": 0.20, "consideration": 0.62, "decision": 0.55, "purchase": 0.16,
               "retention": 0.18}
# Which objections come up where (relative weights).
KIND_BY_STAGE = {
    "awareness": {"trust": 4, "need": 4, "timing": 2, "competitor": 2, "feature": 2, "price": 2,
                  "security": 1},
    "consideration": {"price": 12, "competitor": 4, "feature": 4, "implementation": 3, "trust": 3,
                      "need": 2, "security": 2, "timing": 1, "authority": 1},
    "decision": {"price": 9, "authority": 5, "contract": 4, "timing": 4, "security": 2,
                 "implementation": 2, "trust": 1},
    "purchase": {"contract": 5, "timing": 2, "security": 2, "price": 2, "authority": 1},
    "retention": {"price": 4, "feature": 4, "competitor": 2, "contract": 2, "implementation": 2},
}

# How agents choose a reply strategy for each objection kind (relative weights).
_DEFAULT_CHOICE = {s: 1 for s in STRATEGIES}
STRATEGY_CHOICE = {k: dict(_DEFAULT_CHOICE) for k in KINDS}
STRATEGY_CHOICE["price"].update(empathy=5, payment=5, value=5, discount=3)
STRATEGY_CHOICE["trust"].update(social_proof=3, empathy=2, guarantee=2)
STRATEGY_CHOICE["timing"].update(scheduling=3, empathy=3)
STRATEGY_CHOICE["authority"].update(scheduling=3, empathy=3)
STRATEGY_CHOICE["competitor"].update(value=3, discount=2, empathy=2)
STRATEGY_CHOICE["need"].update(clarification=3, value=2, empathy=2)
STRATEGY_CHOICE["contract"].update(payment=2, guarantee=2, clarification=2, empathy=2)
STRATEGY_CHOICE["implementation"].update(scheduling=2, clarification=2, social_proof=2, empathy=2)
STRATEGY_CHOICE["feature"].update(clarification=3, empathy=2, discount=2)
STRATEGY_CHOICE["security"].update(clarification=3, empathy=2, scheduling=2)

# Chance that a reply of a strategy resolves an objection of a kind.
_BASE = 0.36
RESOLVE = {k: {s: _BASE for s in STRATEGIES} for k in KINDS}
for _k in KINDS:
    RESOLVE[_k]["empathy"] = 0.28
RESOLVE["price"].update(payment=0.72, value=0.66, discount=0.62, guarantee=0.44,
                        social_proof=0.36, clarification=0.32, scheduling=0.38, empathy=0.28)
RESOLVE["timing"].update(scheduling=0.66, payment=0.44, discount=0.36, empathy=0.32)
RESOLVE["authority"].update(scheduling=0.68, social_proof=0.40, clarification=0.40, empathy=0.32)
RESOLVE["trust"].update(social_proof=0.72, guarantee=0.62, clarification=0.44, discount=0.20,
                        empathy=0.30)
RESOLVE["competitor"].update(value=0.64, social_proof=0.50, discount=0.50, clarification=0.38,
                             empathy=0.22)
RESOLVE["need"].update(clarification=0.64, value=0.48, scheduling=0.40, empathy=0.30)
RESOLVE["contract"].update(payment=0.62, guarantee=0.60, discount=0.44, clarification=0.46,
                           empathy=0.24)
RESOLVE["implementation"].update(scheduling=0.64, clarification=0.52, social_proof=0.46,
                                 empathy=0.28)
RESOLVE["feature"].update(clarification=0.66, scheduling=0.44, discount=0.22, empathy=0.22)
RESOLVE["security"].update(clarification=0.72, scheduling=0.50, social_proof=0.44,
                           discount=0.14, empathy=0.24)

P_REPEAT = 0.33  # unresolved objection: the customer pushes back once more (same kind)
P_NO_REPLY = 0.03  # an objection the agent never answers
