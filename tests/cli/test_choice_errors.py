"""A name an option does not take is refused as the command line is read, in the words of a
number it does not take (`--metric takes cosine, weighted, torso or likeness, not 'nope'`,
exit 2), before anything runs: `bench page --models x` once waited 120 s for the page and
ended in a Playwright traceback, `bench pose --parts x` said "parts: a comma-separated subset
of ..." and exited 1, `bench serve --index x` built a bank and started a server first, and
`bench quality --pipeline x` said typer's "Invalid value for --pipeline: a pipeline is ..."."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from movemirror.cli.main import app

runner = CliRunner()


def _said(*args: str) -> str:
    started = time.perf_counter()
    result = runner.invoke(app, list(args), env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output  # a usage error
    assert time.perf_counter() - started < 10, "refused only after running"
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(("command_line", "said"), [
    ("bench page --models x", "--models takes one or more of lightning, thunder, posenet, "
                              "blazepose-full, blazepose-heavy, auto, comma-separated, not 'x'"),
    ("bench page --models thunder,multipose", "--models takes one or more of lightning, "
                                              "thunder,"),
    ("bench page --loops x", "--loops takes one or more of main, worker, comma-separated "
                             "(e.g. worker:1x2), not 'x'"),
    ("bench page --loops worker:0x2", "not 'worker:0x2'"),
    ("bench pose --parts x", "--parts takes one or more of speed, pck, coco, tfjs, "
                             "comma-separated, not 'x'"),
    ("bench pose --parts ,", "--parts takes one or more of speed, pck, coco, tfjs"),
    ("bench pose --parts=", "--parts takes one or more of speed, pck, coco, tfjs"),
    ("bench page --models=", "--models takes one or more of lightning,"),
    ("bench pose --models x", "--models takes one or more of lightning, thunder, "
                              "blazepose-full, blazepose-heavy, posenet, multipose, "
                              "comma-separated, not 'x'"),
    ("bench pose --modes x", "--modes takes one or more of fast, crop, accurate, best, "
                             "comma-separated, not 'x'"),
    ("bench pose --models posenet --modes best", "--models 'posenet' and --modes 'best' leave "
                                                 "nothing to run; the runs are lightning/fast,"),
    ("bench ingest --engine nope", "--engine takes one or more of local, ray, comma-separated, "
                                   "not 'nope'"),
    ("bench ingest --model nope", "--model takes lightning, thunder, multipose, posenet, "
                                  "blazepose-full or blazepose-heavy, not 'nope'"),
    ("bench ingest --mode nope", "--mode takes fast, crop, accurate or best, not 'nope'"),
    ("bench serve --loop closed,shut", "--loop takes one or more of open, closed, "
                                       "comma-separated, not 'closed,shut'"),
    ("bench serve --index nope", "--index takes brute, boxtree, boxtree-approx or vptree, "
                                 "not 'nope'"),
    ("bench coverage --map nope", "--map takes umap or pca, not 'nope'"),
    ("bench motion --metric nope", "--metric takes cosine or weighted, not 'nope'"),
    ("bench motion --metric torso", "--metric takes cosine or weighted, not 'torso'"),
    ("bench quality --pipeline x", "--pipeline takes ARCHIVE/QUERY/METRIC, then as needed "
                                   "/mirror, /refuse=SCORE and /rerank=K (SCORE a number, K a "
                                   "whole number, at least 1), not 'x'"),
    ("bench quality --pipeline truth/truth/torso/rerank=0", "--pipeline takes ARCHIVE/QUERY/"
                                                            "METRIC, then as needed"),
    ("bench quality --pipeline truth/truth/nope", "--pipeline takes a METRIC of cosine, "
                                                  "weighted, torso,"),
    ("bench quality --pipeline truth/truth/cosine --pipeline truth/single:openpose:fast/cosine",
     "--pipeline takes a MODEL of lightning, thunder, multipose, posenet, blazepose-full or "
     "blazepose-heavy, not 'single:openpose:fast'"),
    ("bench quality --pipeline truth/page:lightning:crop/cosine",
     "--pipeline takes a page side's MODEL of blazepose-full or blazepose-heavy (the page runs "
     "BlazePose), not 'page:lightning:crop'"),
    ("bench quality-video --archive-side x", "--archive-side takes truth, single:MODEL:MODE, "
                                             "ingest:MODEL:MODE or page:BLAZEPOSE_MODEL:MODE, "
                                             "not 'x'"),
    ("bench quality-video --archive-side single:thunder:slow", "--archive-side takes a MODE of "
                                                               "fast, crop, accurate or best, "
                                                               "not 'single:thunder:slow'"),
])
def test_a_bench_option_refuses_a_name_it_does_not_take_at_once(command_line, said):
    assert said in _said(*command_line.split())


@pytest.mark.parametrize(("command_line", "said"), [
    ("search --bank b --metric nope pose.json", "--metric takes cosine, weighted, torso or "
                                                "likeness, not 'nope'"),
    ("search --bank b --clip c.json --metric likeness", "--metric takes cosine or weighted "
                                                        "with --clip, not 'likeness'"),
    ("serve --bank b --index kd", "--index takes brute, boxtree, boxtree-approx or vptree, "
                                  "not 'kd'"),
    ("pose --model openpose x.jpg", "--model takes lightning, thunder, multipose, posenet, "
                                    "blazepose-full or blazepose-heavy, not 'openpose'"),
    ("pose --mode quick x.jpg", "--mode takes fast, crop, accurate or best, not 'quick'"),
    ("index --bank b --model openpose x.jpg", "--model takes lightning, thunder, multipose, "
                                              "posenet, blazepose-full or blazepose-heavy, "
                                              "not 'openpose'"),
    ("index --bank b --mode quick x.jpg", "--mode takes fast, crop, accurate or best, "
                                          "not 'quick'"),
    ("index --bank b --thumb face x.jpg", "--thumb takes person or frame, not 'face'"),
    ("index --bank b --engine spark x.jpg", "--engine takes local or ray, not 'spark'"),
    ("index --bank b --device tpu x.jpg", "--device takes auto, cpu or cuda, not 'tpu'"),
    ("coverage --bank b --metric likeness", "--metric takes cosine or weighted, "
                                            "not 'likeness'"),
    ("coverage --bank b --map tsne", "--map takes umap or pca, not 'tsne'"),
])
def test_a_command_refuses_a_name_it_does_not_take_as_numbers_are_refused(command_line, said):
    assert said in _said(*command_line.split())
