"""What the command line calls the value each argument and option takes (its metavar): one
vocabulary, in capitals, naming what the user types (a folder, a number of seconds, a port),
never a Python type; and the parameters several commands share. cli/commands.py shows them."""

from __future__ import annotations

from typing import Annotated

import typer

# Paths.
DIR = "DIR"  # a folder: a bank (or a URI Lance opens), or where results are written
FILE = "FILE"
PATH = "PATH"  # a file, or with several inputs a folder
SOURCE = "SOURCE"  # a photo, a video or a folder of them
IMAGE = "IMAGE"
POSE_OR_PHOTO = "POSE.json|PHOTO"
CLIP_OR_VIDEO = "CLIP.json|VIDEO"
REF = "REF"  # reference poses: a bank, a query log, a pose file or a folder of them

# Numbers.
N = "N"  # a whole number
MS = "MS"  # milliseconds
SECONDS = "SECONDS"
AGE = "AGE"  # a time ago: 30m, 12h, 7d, 2w
SCORE = "SCORE"  # from 0 to 1
FRACTION = "FRACTION"
DISTANCE = "DISTANCE"
PIXELS = "PIXELS"
RATE = "RATE"  # a number a second

# The network.
HOST = "HOST"
PORT = "PORT"
ADDRESS = "ADDRESS"  # HOST:PORT

# Names chosen from a list (the option's help lists them).
MODEL = "MODEL"
MODE = "MODE"
METRIC = "METRIC"
INDEX = "INDEX"
ENGINE = "ENGINE"
DEVICE = "DEVICE"
KIND = "KIND"
METHOD = "METHOD"
LOOP = "LOOP"
PART = "PART"
PIPELINE = "PIPELINE"
SIDE = "SIDE"


def listed(metavar: str) -> str:
    """The metavar of a comma-separated list of them: N,..."""
    return f"{metavar},..."


SINGLE = (DIR, FILE, PATH, SOURCE, IMAGE, POSE_OR_PHOTO, CLIP_OR_VIDEO, REF, N, MS, SECONDS, AGE,
          SCORE, FRACTION, DISTANCE, PIXELS, RATE, HOST, PORT, ADDRESS, MODEL, MODE, METRIC,
          INDEX, ENGINE, DEVICE, KIND, METHOD, LOOP, PART, PIPELINE, SIDE)
VOCABULARY = frozenset((*SINGLE, *map(listed, SINGLE)))

# How an option shared by several commands is spelled: the same ways in each of them, so that
# what one command taught works in the others (tests/cli/test_option_spellings.py checks all).
K_FLAGS = ("-k", "--k")

BANK_HELP = "The bank: a directory, or a URI Lance supports (s3://bucket/bank)."

# The bank a command reads, as `bank info DIR` and `serve --bank DIR` take it.
BankArgument = Annotated[str, typer.Argument(metavar=DIR, help=BANK_HELP, show_default=False)]
BankOption = Annotated[str, typer.Option("--bank", metavar=DIR, help=BANK_HELP)]
