"""Written-out answers for the prompts of the project's own notebooks, and the banks short answers draw from.

Plain text data; ``_answers`` decides which prompt gets which. Haiku lines end with two spaces (a Markdown
line break), so a haiku renders as three lines.
"""

from __future__ import annotations

__all__ = [
    "CAT_CAFE_NAMES",
    "HAIKUS",
    "HANDSHAKE_FOR_KIDS",
    "HISTORY_OF_COMPUTING",
    "ONE_WORDS",
    "WHY_THREE_STEPS",
]


def _haiku(*lines: str) -> str:
    return "  \n".join(lines)


# keyword -> haikus (5-7-5); "" is the bank for any other subject.
HAIKUS: dict[str, tuple[str, ...]] = {
    "latency": (
        _haiku("A cursor blinking;", "the first token breaks the hush,", "then the words pour in."),
        _haiku("Light could circle Earth", "twice before the server speaks;", "still the wait feels long."),
        _haiku("Packets cross the sea.", "Two hundred milliseconds,", "then a word arrives."),
        _haiku("Spinner turns and turns;", "somewhere a GPU hums,", "then the answer streams."),
    ),
    "stream": (
        _haiku("Token by token,", "the answer grows like a vine", "climbing toward the light."),
        _haiku("Words arrive in drops,", "a slow rain on the notebook;", "the page fills with thought."),
    ),
    "cach": (
        _haiku("The same long prompt twice:", "the second time, remembered,", "it answers at once."),
    ),
    "code": (
        _haiku("Tests pass in the night;", "one semicolon missing", "waits for the morning."),
    ),
    "coffee": (
        _haiku("Steam over the cup;", "the first sip before the code,", "the day starts to hum."),
    ),
    "cat": (
        _haiku("A cat on the keys", "types a message to no one:", "send it anyway."),
    ),
    "sea": (
        _haiku("Grey waves fold and break;", "the tide keeps its own patience,", "never in a rush."),
    ),
    "": (
        _haiku("Quiet thoughts gather;", "each word waits its turn in line;", "the page fills slowly."),
        _haiku("Morning light returns;", "the kettle sings on the stove;", "no one needs to rush."),
        _haiku("Autumn leaves let go;", "the river carries each one", "somewhere it has been."),
    ),
}
# Synonyms that pick a haiku bank.
HAIKU_KEYS = {
    "latency": ("latency", "lag", "delay", "wait", "speed", "fast", "slow", "ttft"),
    "stream": ("stream", "token", "notebook"),
    "cach": ("cach",),
    "code": ("code", "coding", "bug", "program", "software", "python"),
    "coffee": ("coffee", "tea", "espresso"),
    "cat": ("cat", "kitten"),
    "sea": ("sea", "ocean", "wave", "tide", "rain"),
}

CAT_CAFE_NAMES = (
    "**The Purrista**: every latte comes with a slow blink from the staff.",
    "**Espresso Purr-onum**: small cups, strong coffee, stronger opinions about laps.",
    "**The Nap & Cappuccino**: the baristas sleep on the warm espresso machine.",
    "**Whisker Brew**: pour-over coffee, poured very slowly, by paws.",
    "**Meowcha Lounge**: matcha and mochas, served by whoever is awake.",
    "**Café Au Lait Nap**: open whenever the cats feel like it.",
    "**The Catpuccino Club**: membership is decided by the cats.",
    "**Purr Over**: hand-brewed coffee and a lap that is always taken.",
)

# For a one-word answer when the prompt gives no choices and is not about sentiment.
ONE_WORDS = ("Clarity.", "Patience.", "Curiosity.", "Balance.", "Simplicity.", "Momentum.")

# quickstart.ipynb: "Explain the TCP handshake to a ten-year-old, using {topic} as an analogy." The analogy
# slot is the prompt's own phrase; the pizza wording is used when it is about pizza.
HANDSHAKE_FOR_KIDS = {
    "pizza": """## The TCP handshake, explained with a pizza delivery

Before two computers send each other real data, they make sure they can hear each other. That check is
the **TCP handshake**, and it has three steps, just like ordering a pizza by phone:

1. **SYN: "Hi, can I order a pizza?"** You call the pizza shop. This is your computer saying *I'd like to
   talk to you*.
2. **SYN-ACK: "Yes, we hear you! What would you like?"** The shop answers. It is saying *I heard you, and
   I'm ready too*.
3. **ACK: "Great, here's my order."** You confirm you heard them back. Now both sides know the line works.

Only after these three steps does the real stuff happen: you give your order (the data), and later the
pizza arrives at your door (the reply).

Why bother? If you just shouted your order without checking, the shop might not be listening, and you'd
wait forever for a pizza that was never made. The handshake makes sure **both** sides are ready before
anything important is sent.

One more thing: each step takes a little time to travel, which is why opening a new connection is a
bit slower than using one that is already open, like staying on the phone to add a drink to your
order.""",
    "": """## The TCP handshake, explained with {analogy}

Before two computers send each other real data, they check that they can hear each other. That check is
the **TCP handshake**, and it has three steps. Think of {analogy}:

1. **SYN: "Hello, are you there?"** One side reaches out and asks to start.
2. **SYN-ACK: "Yes, I hear you. Do you hear me?"** The other side answers and asks back.
3. **ACK: "I hear you too!"** The first side confirms. Now both know the line works.

Only then does the real data travel. The handshake makes sure **both** sides are ready, so nothing
important is sent into the void. Each step takes a moment to travel, which is why a new connection is a
bit slower than one that is already open.""",
}

# tools_and_chat.ipynb, second chat turn: "And why three steps, not two?"
WHY_THREE_STEPS = """Good question! Two steps would tell only **one** side that everything works.

- After step 1 (**SYN**), the server knows the client can send.
- After step 2 (**SYN-ACK**), the client knows the server can send *and* receive.
- But the server still doesn't know that the client got its reply. Step 3 (**ACK**) tells it.

Each side also picks a random starting **sequence number**, and each must see the other acknowledge its
own number. With two steps, the server's number would never be confirmed, and an old, delayed SYN from a
previous connection could trick the server into opening a connection nobody asked for.

So three messages is the minimum for both sides to agree on both sequence numbers. (Closing a connection
takes four, because each direction is shut separately.)"""

# quickstart.ipynb's cancel demo: "Tell me the whole history of computing, in detail." It is long on
# purpose, so the demo cancels it while it is still streaming.
HISTORY_OF_COMPUTING = """# A history of computing

## Before electricity

People have always counted with tools. The **abacus**, used in Mesopotamia, China and Rome, let a trained
hand add and subtract quickly. In 1642 Blaise Pascal built a mechanical adding machine, and in the 1670s
Gottfried Wilhelm Leibniz made one that could also multiply. In 1804 Joseph-Marie Jacquard's loom read
its patterns from **punched cards**, an idea that would return again and again.

In the 1830s Charles Babbage designed the **Analytical Engine**: a steam-powered machine with a store
(memory), a mill (processor) and punched-card programs. It was never finished, but Ada Lovelace wrote
notes on it that include what is often called the first program, and she saw that such a machine could
work with symbols, not just numbers.

## Punched cards and relays

Herman Hollerith's card tabulators counted the 1890 US census in a fraction of the usual time; his company
later became part of IBM. In 1936 Alan Turing described the **Turing machine**, a simple model of what any
computer can compute. In 1941 Konrad Zuse completed the Z3 in Berlin, an electromechanical, programmable
machine built from relays.

## The electronic age

The Second World War sped everything up. At Bletchley Park, **Colossus** (1944) used vacuum tubes to help
break German codes. In the United States, **ENIAC** (1945) filled a room, used about 18,000 tubes, and
was reprogrammed by rewiring. John von Neumann and others then described the **stored-program** design,
where instructions live in memory beside the data; the Manchester Baby ran the first such program in 1948.

## Transistors and mainframes

The **transistor**, invented at Bell Labs in 1947, replaced fragile tubes with small, reliable switches.
In the 1950s and 1960s companies bought **mainframes** such as the IBM 360 family, and programmers wrote
in new high-level languages: FORTRAN (1957) for science, COBOL (1959) for business, and LISP for research
on artificial intelligence. Grace Hopper's work on compilers made much of this possible.

## Chips, minicomputers and the PC

The **integrated circuit** (1958-59) put many transistors on one piece of silicon, and in 1971 Intel's
4004 put a whole processor on a chip. Gordon Moore had observed that the number of transistors per chip
doubled about every two years, and that trend held for decades. Minicomputers such as DEC's PDP series
brought computing to labs and universities, where Unix and the C language were born.

Then came the **personal computer**: the Altair 8800 (1975), the Apple II (1977), the IBM PC (1981) and
the Macintosh (1984), which made the graphical interface, first shown at Xerox PARC, mainstream.

## Networks and the web

ARPANET linked its first computers in 1969, and the **TCP/IP** protocols (1970s, adopted in 1983) let
different networks join into one Internet. In 1989-91 Tim Berners-Lee created the **World Wide Web** at
CERN, and browsers such as Mosaic and Netscape brought it to millions of homes.

## Phones, clouds and learning machines

The 2000s put computers in pockets: smartphones, led by the iPhone (2007) and Android, became the most
common computers on Earth. Companies moved their servers into the **cloud**, renting computing by the
hour. Meanwhile graphics processors turned out to be ideal for training neural networks, and from 2012
**deep learning** transformed speech and image recognition. The transformer architecture (2017) led to
today's large language models, which write, translate and reason in plain language.

## What it all adds up to

In about two centuries computing went from gears and cards to billions of transistors on a chip the size
of a fingernail, and from rooms full of tubes to models you can talk to. Each step made computers
smaller, cheaper and faster, and each found uses its inventors never imagined."""
