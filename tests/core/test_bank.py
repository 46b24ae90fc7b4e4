import re
import shutil

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.distances import distance
from movemirror.errors import BankError, InvalidArgumentError, PoseError
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import pose_problems, to_vectors


@pytest.fixture(scope="module")
def real_bank(penn_valid):
    """1,000 real poses from 40 clips, queries from other clips."""
    keypoints, clips = penn_valid
    in_bank = np.isin(clips, np.unique(clips)[:40])
    bank_poses = keypoints[in_bank][:1000]
    queries = keypoints[~in_bank][::997][:30]
    meta = {"source": [f"clip-{c}" for c in clips[in_bank][:1000]]}
    return PoseBank.from_keypoints(bank_poses, meta=meta), bank_poses, queries


@pytest.mark.parametrize("metric", ["cosine", "weighted"])
def test_search_returns_exact_top_k(real_bank, metric):
    bank, bank_poses, queries = real_bank
    distances, indices, mirrored = bank.search(queries, k=10, metric=metric)
    assert mirrored.shape == indices.shape and not mirrored.any()
    truth = distance(to_vectors(queries), to_vectors(bank_poses), metric)
    assert distances.shape == indices.shape == (len(queries), 10)
    np.testing.assert_allclose(distances, np.sort(truth, axis=1)[:, :10], atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(truth, indices, 1), distances, atol=1e-5)


def test_single_query_and_batch_agree(real_bank):
    bank, _, queries = real_bank
    d1, i1, _ = bank.search(queries[3], k=5)
    d, i, _ = bank.search(queries, k=5)
    np.testing.assert_array_equal(i1[0], i[3])
    np.testing.assert_allclose(d1[0], d[3])


def test_a_bank_pose_finds_itself_at_distance_zero(real_bank):
    bank, bank_poses, _ = real_bank
    for metric in ("cosine", "weighted"):
        d, i, _ = bank.search(bank_poses[[7, 500]], k=1, metric=metric)
        assert set(d[:, 0]) == {0.0}
        assert np.allclose(
            distance(to_vectors(bank_poses[i[:, 0]]), to_vectors(bank_poses[[7, 500]]), metric)
            .diagonal(), 0.0, atol=1e-6)


def test_k_larger_than_bank_returns_whole_bank(real_bank):
    bank = PoseBank.from_keypoints(real_bank[1][:3])
    d, i, _ = bank.search(real_bank[2][0], k=10)
    assert sorted(i[0]) == [0, 1, 2] and np.all(np.diff(d[0]) >= 0)


def test_mirror_finds_the_mirrored_pose_and_says_so(real_bank):
    bank, bank_poses, _ = real_bank
    query = mirror_keypoints(bank_poses[123], image_width=640)
    d, i, _ = bank.search(query, k=3, metric="cosine")
    assert i[0, 0] != 123 or d[0, 0] > 0  # without mirroring it is not an exact hit
    found = bank.search(query, k=3, metric="cosine", mirror=True)
    assert found.distances.shape == found.indices.shape == found.mirrored.shape == (1, 3)
    d, i, mirrored = found
    assert i[0, 0] == 123 and d[0, 0] == pytest.approx(0.0, abs=1e-5) and mirrored[0, 0]
    assert len(set(i[0])) == 3  # each bank pose at most once


def test_mirror_off_an_unmirrored_query_is_not_flagged(real_bank):
    bank, bank_poses, _ = real_bank
    d, i, mirrored = bank.search(bank_poses[42], k=1, mirror=True)
    assert i[0, 0] == 42 and not mirrored[0, 0]


def test_bad_queries_and_options_are_rejected(real_bank):
    bank, bank_poses, _ = real_bank
    with pytest.raises(PoseError, match="non-finite"):
        bank.search(np.full((17, 3), np.nan), k=1)
    # the choices listed are every metric search takes, its default "likeness" among them
    with pytest.raises(ValueError, match="unknown metric 'euclid'; choose one of cosine, "
                                         "weighted, torso, likeness$"):
        bank.search(bank_poses[0], metric="euclid")
    with pytest.raises(ValueError, match="k must be"):
        bank.search(bank_poses[0], k=0)


@pytest.mark.parametrize("metric", ["likeness", "cosine"])
@pytest.mark.parametrize("k", [2.5, 3.0, "3", None, True])
def test_a_k_that_is_not_a_whole_number_is_refused_by_name(real_bank, metric, k):
    # k=2.5 once gave cosine 2 matches and likeness a TypeError from a slice; "3" and None a
    # TypeError from comparing; True searched for 1 match.
    bank, bank_poses, _ = real_bank
    with pytest.raises(ValueError, match=f"k must be a whole number.*{k!r}"):
        bank.search(bank_poses[0], k=k, metric=metric)


@pytest.mark.parametrize("metric", ["likeness", "cosine", "weighted", "torso"])
@pytest.mark.parametrize("mirror", [False, True])
def test_a_float32_pose_and_plain_int_k_search_as_any_other_input(real_bank, metric, mirror):
    # search's fast paths (k an int, mirror a bool, a C-contiguous float32 pose or batch)
    # answer exactly as the general ones (k a numpy integer, mirror a numpy bool, lists of
    # float64); a bad pose is refused alike.
    bank, bank_poses, queries = real_bank
    queries = np.ascontiguousarray(queries[:6], dtype=np.float32)
    for given in (queries[2], queries):
        fast = bank.search(given, k=7, metric=metric, mirror=mirror)
        general = bank.search(given.astype(np.float64).tolist(), k=np.int64(7), metric=metric,
                              mirror=np.bool_(mirror))
        rows = len(given) if given.ndim == 3 else 1
        for a, b in zip(fast, general, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape == (rows, 7)
            np.testing.assert_array_equal(a, b)
    bad = queries.copy()
    bad[4, :, 2] = 0.1  # too few confident keypoints
    with pytest.raises(PoseError) as fast_error:
        bank.search(bad, k=7, metric=metric, mirror=mirror)
    with pytest.raises(PoseError) as general_error:
        bank.search(bad.tolist(), k=np.int64(7), metric=metric, mirror=np.bool_(mirror))
    assert str(fast_error.value) == str(general_error.value)
    if metric != "torso":  # (torso names its own problems)
        assert str(fast_error.value).startswith("pose 4: only 0 confident keypoints")


def test_k_may_be_a_numpy_integer(real_bank):
    bank, bank_poses, _ = real_bank
    assert bank.search(bank_poses[0], k=np.int64(3)).indices.shape == (1, 3)


@pytest.mark.parametrize("metric", ["likeness", "cosine"])
@pytest.mark.parametrize("mirror", ["no", "False", 0, 1, None, np.float64(1.0)])
def test_a_mirror_that_is_not_a_bool_is_refused_by_name(real_bank, metric, mirror):
    # mirror="no" once searched mirrored, as any non-empty string is true.
    bank, bank_poses, _ = real_bank
    expected = f"mirror must be True or False.*{re.escape(repr(mirror))}"
    with pytest.raises(InvalidArgumentError, match=expected):
        bank.search(bank_poses[0], k=3, metric=metric, mirror=mirror)


def test_mirror_may_be_a_numpy_bool(real_bank):
    bank, bank_poses, queries = real_bank
    mirrored = bank.search(queries[:4], k=3, metric="cosine", mirror=np.bool_(True))
    assert mirrored.mirrored.any()
    assert np.array_equal(mirrored.indices,
                          bank.search(queries[:4], k=3, metric="cosine", mirror=True).indices)


def test_load_refuses_a_verify_that_is_not_a_bool(tmp_path, real_bank):
    bank, _, _ = real_bank
    bank.save(tmp_path / "bank")
    with pytest.raises(InvalidArgumentError, match="verify must be True or False.*'no'"):
        PoseBank.load(tmp_path / "bank", verify="no")
    assert len(PoseBank.load(tmp_path / "bank", verify=np.bool_(False))) == len(bank)


def test_degenerate_pose_in_bank_is_named():
    poses = np.random.default_rng(0).uniform(0, 50, (4, 17, 3)).astype(np.float32)
    poses[..., 2] = 0.9
    poses[2, :, :2] = 5.0
    with pytest.raises(PoseError, match="pose 2"):
        PoseBank.from_keypoints(poses)


def test_save_load_round_trip(real_bank, tmp_path):
    bank, _, queries = real_bank
    bank.save(tmp_path / "bank")
    loaded = PoseBank.load(tmp_path / "bank")
    assert len(loaded) == len(bank) and loaded.ids == bank.ids
    np.testing.assert_array_equal(loaded.keypoints, bank.keypoints)
    assert loaded.record(5) == bank.record(5)
    assert loaded.record(5)["source"].startswith("clip-")
    for a, b in zip(loaded.search(queries, k=5), bank.search(queries, k=5), strict=True):
        np.testing.assert_array_equal(a, b)


def _saved(tmp_path, bank):
    path = tmp_path / "bank"
    PoseBank(bank.records, bank.vectors).save(path)  # a copy: saving moves a bank's home
    return path


def _data_files(path):
    return sorted((path / "poses.lance" / "data").glob("*.lance"))


def test_a_missing_data_file_is_named(real_bank, tmp_path):
    path = _saved(tmp_path, real_bank[0])
    _data_files(path)[0].unlink()
    with pytest.raises(BankError, match="cannot read the poses"):
        PoseBank.load(path)


def test_a_truncated_data_file_is_rejected(real_bank, tmp_path):
    path = _saved(tmp_path, real_bank[0])
    data = _data_files(path)[0]
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(BankError, match="cannot read the poses"):
        PoseBank.load(path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: shutil.rmtree(p / "poses.lance"), "poses.lance is missing"),
        # A first save killed before its manifest: data files and no version (once read
        # "poses.lance is missing" of a folder that holds it).
        (lambda p: shutil.rmtree(p / "poses.lance" / "_versions"),
         "no bank here: poses.lance holds no committed version"),
        (lambda p: [m.write_bytes(b"not a manifest") for m in
                    (p / "poses.lance" / "_versions").iterdir()], "damaged bank"),
    ],
)
def test_damaged_dataset_is_rejected(real_bank, tmp_path, damage, message):
    path = _saved(tmp_path, real_bank[0])
    damage(path)
    with pytest.raises(BankError, match=message):
        PoseBank.load(path)


def _truncate(file):
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


@pytest.mark.parametrize("damage", [
    lambda p: _data_files(p)[0].unlink(),
    lambda p: _truncate(_data_files(p)[0]),
    lambda p: [m.write_bytes(b"not a manifest") for m in
               (p / "poses.lance" / "_versions").glob("*.manifest")],
])
def test_a_damaged_bank_is_a_sentence_naming_it_not_lances_rust_source(real_bank, tmp_path,
                                                                       damage):
    # Lance's messages end in where its Rust code raised them (".../lance-io/src/local.rs:273:40")
    # and name local files without their leading slash ("Not found: tmp/...").
    path = _saved(tmp_path, real_bank[0])
    missing = f"{path}/poses.lance/data/{_data_files(path)[0].name}"
    damage(path)
    with pytest.raises(BankError) as raised:
        PoseBank.load(path).records  # noqa: B018 (the records are read on first use)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert ".rs:" not in message and "External error" not in message, message
    assert "LanceError" not in message, message
    if "not found" in message.lower():
        assert missing in message, message
    assert "failed to fill whole buffer" not in message  # Rust's words for a truncated file


def _mark(path, mark: str):
    import lance

    lance.dataset(str(path / "poses.lance")).update_schema_metadata(
        {"movemirror-format": mark})


def test_newer_format_version_is_refused(real_bank, tmp_path):
    path = _saved(tmp_path, real_bank[0])
    _mark(path, "movemirror-bank 99")
    with pytest.raises(BankError, match="version 99 is not supported"):
        PoseBank.load(path)


def test_a_lance_dataset_of_something_else_is_not_a_bank(tmp_path):
    import lance
    import pyarrow as pa

    (tmp_path / "bank").mkdir()
    lance.write_dataset(pa.table({"a": [1]}), str(tmp_path / "bank" / "poses.lance"))
    with pytest.raises(BankError, match="not a movemirror bank"):
        PoseBank.load(tmp_path / "bank")


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(BankError, match=r"nowhere: no bank here \(it does not exist\)"):
        PoseBank.load(tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    with pytest.raises(BankError, match=r"file: no bank here \(a file, not a directory\)"):
        PoseBank.load(tmp_path / "file")


def test_extra_tables_are_saved_and_loaded_with_the_bank(real_bank, tmp_path):
    import pyarrow as pa

    bank = PoseBank.from_keypoints(real_bank[1][:5])
    bank.tables["sources"] = pa.table({"sha256": ["ab", "cd"]})
    bank.save(tmp_path / "b")
    assert PoseBank.load(tmp_path / "b").tables["sources"].column("sha256").to_pylist() == [
        "ab", "cd"]


def test_an_empty_bank_saves_loads_and_answers_nothing(tmp_path):
    bank = PoseBank.from_keypoints(np.zeros((0, 17, 3), np.float32), meta={"source": []})
    bank.save(tmp_path / "empty")
    loaded = PoseBank.load(tmp_path / "empty")
    assert len(loaded) == 0 and loaded.keypoints.shape == (0, 17, 3)


def test_bulk_real_poses_refuse_a_bad_pose_by_default_or_skip_it_and_say_why(penn):
    problems = pose_problems(penn.keypoints)
    bad = [i for i, problem in enumerate(problems) if problem]
    assert 0 < len(bad) < 0.002 * len(penn.keypoints)  # ~0.1% with too few labelled joints
    ids = [f"{c}/{f}" for c, f in zip(penn.clip, penn.frame, strict=True)]
    meta = {"clip": penn.clip, "frame": penn.frame}
    with pytest.raises(PoseError, match=f"pose {bad[0]}: "):
        PoseBank.from_keypoints(penn.keypoints, ids=ids, meta=meta)
    bank = PoseBank.from_keypoints(penn.keypoints, ids=ids, meta=meta, on_invalid="skip")
    assert [(s.position, s.id, s.reason) for s in bank.skipped] == [
        (i, ids[i], problems[i]) for i in bad]
    assert any("confident keypoints" in s.reason for s in bank.skipped)
    keep = np.setdiff1d(np.arange(len(ids)), bad)
    assert len(bank) == len(keep) and bank.ids == [ids[i] for i in keep]
    np.testing.assert_array_equal(bank.keypoints, penn.keypoints[keep])
    np.testing.assert_array_equal(bank.records.column("clip").to_numpy(), penn.clip[keep])
    row = int(np.searchsorted(keep, bad[0] + 1))  # the pose after the first skipped one
    assert bank.record(row)["id"] == ids[bad[0] + 1]
    assert bank.record(row)["frame"] == penn.frame[bad[0] + 1]
    _, found, _ = bank.search(penn.keypoints[keep[:3]], k=1)
    assert found[:, 0].tolist() == [0, 1, 2]


def test_skipping_nothing_builds_the_same_bank(real_bank):
    bank, bank_poses, _ = real_bank
    skipping = PoseBank.from_keypoints(bank_poses, meta=bank.records.drop(["id", "keypoints"]),
                                       on_invalid="skip")
    assert skipping.skipped == [] and skipping.records.equals(bank.records)
    np.testing.assert_array_equal(skipping.vectors, bank.vectors)
    with pytest.raises(ValueError, match="on_invalid must be one of raise, skip"):
        PoseBank.from_keypoints(bank_poses, on_invalid="drop")


def test_poses_of_another_shape_are_refused_not_reshaped(real_bank):
    # from_keypoints once reshaped any input of N * 51 numbers to (N, 17, 3): poses given
    # channels first (N, 3, 17) with coordinates as fractions of the frame built a bank of
    # scrambled poses without a word.
    poses = real_bank[1][:6].copy()
    poses[..., :2] /= poses[..., :2].max()
    channels_first = np.ascontiguousarray(poses.transpose(0, 2, 1))
    with pytest.raises(PoseError, match=r"shape \(17, 3\) or \(N, 17, 3\), got shape \(6, 3, 17\)"):
        PoseBank.from_keypoints(channels_first)
    with pytest.raises(PoseError, match=r"got shape \(6, 17, 2\)"):
        PoseBank.from_keypoints(poses[..., :2])
    bank = PoseBank.from_keypoints(poses[:3])
    with pytest.raises(PoseError, match=r"got shape \(3, 3, 17\)"):
        bank.add(channels_first[3:])
    assert len(bank) == 3
    assert len(PoseBank.from_keypoints(poses[0])) == 1  # one pose (17, 3) is a bank of one
    assert len(PoseBank.from_keypoints([], ids=[])) == 0


def test_add_without_ids_never_drops_a_pose_for_an_id_the_bank_holds(real_bank):
    # Default ids continue the row numbers; after a skipped pose the bank holds "0", "2",
    # "3", so the next row number, "3", was taken and add dropped that pose without a word.
    poses = real_bank[1][:6].copy()
    poses[1, :, 2] = 0  # no confident keypoint: skipped
    bank = PoseBank.from_keypoints(poses[:4], on_invalid="skip")
    assert bank.ids == ["0", "2", "3"]
    assert bank.add(poses[4:6]) == 2
    assert len(bank) == 5 and len(set(bank.ids)) == 5
    np.testing.assert_array_equal(bank.keypoints[3:], poses[4:6])


def test_record_and_image_name_a_row_the_bank_does_not_hold(real_bank):
    # record(-1) once failed inside pyarrow ("Offset must be non-negative"), record(len) with
    # "list index out of range", and record(2.7) gave row 2.
    bank = PoseBank.from_keypoints(real_bank[1][:3], ids=["a", "b", "c"])
    for row in (-1, 3):
        with pytest.raises(IndexError, match=f"row {row} is not in the bank \\(3 poses\\)"):
            bank.record(row)
        with pytest.raises(IndexError, match=f"row {row} is not in the bank"):
            bank.image(row)
    for row in (2.7, "1"):
        with pytest.raises(TypeError, match=f"a row is a whole number, not {row!r}"):
            bank.record(row)
        with pytest.raises(TypeError, match="a row is a whole number"):
            bank.image(row)
    assert bank.record(np.int64(2))["id"] == "c" and bank.image(np.int64(2)) is None


def test_saving_where_no_folder_can_be_is_a_bank_error(real_bank, tmp_path):
    # Once pathlib's FileExistsError / NotADirectoryError, not the BankError save() raises.
    bank = PoseBank.from_keypoints(real_bank[1][:3])
    (tmp_path / "notes.txt").write_text("not a bank")
    for target in (tmp_path / "notes.txt", tmp_path / "notes.txt" / "bank"):
        with pytest.raises(BankError, match=f"{target}: cannot make the bank's folder"):
            bank.save(target)
    assert (tmp_path / "notes.txt").read_text() == "not a bank"


@pytest.mark.parametrize("query, problem", [
    ([["a", "b", "c"]] * 17, "could not convert string to float"),
    ([[1.0, 2.0, 0.9]] * 16 + [[1.0, 2.0]], "inhomogeneous"),
    ({"keypoints": [[1.0, 2.0, 0.9]] * 17}, "dict"),
])
def test_a_query_that_is_not_numbers_is_a_pose_error(real_bank, query, problem):
    # Once numpy's own ValueError or TypeError, not the PoseError that search documents.
    with pytest.raises(PoseError, match=r"poses must be numbers of shape \(17, 3\) or "
                                        rf"\(N, 17, 3\).*{problem}"):
        real_bank[0].search(query, k=1)


@pytest.mark.parametrize("poses, problem", [
    ([[["a", "b", "c"]] * 17], "could not convert string to float"),
    ({"keypoints": [[1.0, 2.0, 0.9]] * 17}, "dict"),
])
def test_poses_that_are_not_numbers_are_a_pose_error_when_building_or_adding(real_bank, poses,
                                                                           problem):
    # search said so already; from_keypoints and add let numpy's ValueError or TypeError out.
    message = rf"poses must be numbers of shape \(17, 3\) or \(N, 17, 3\).*{problem}"
    with pytest.raises(PoseError, match=message):
        PoseBank.from_keypoints(poses)
    bank = PoseBank.from_keypoints(real_bank[1][:2])
    with pytest.raises(PoseError, match=message):
        bank.add(poses)
    assert len(bank) == 2


@pytest.mark.parametrize("meta, problem", [
    ({"source": ["a", "b", "c"], "clip": [1]}, "metadata column 'clip' has 1 values for 3 poses"),
    ({"source": "a.jpg"}, "metadata column 'source' must hold one value per pose, not a str"),
    ({"box": np.zeros((3, 4))}, "metadata column 'box': .*1-dimensional"),
    (["a.jpg", "b.jpg", "c.jpg"], "metadata must be a dict of columns, a list of dicts"),
    ("abc", "metadata must be a dict of columns, a list of dicts"),
    ({"source": ["a", "b"]}, "metadata column 'source' has 2 values for 3 poses"),
    ([{"source": "a"}], "metadata has 1 rows for 3 poses"),
])
def test_metadata_of_the_wrong_length_or_kind_is_named(real_bank, meta, problem):
    # Columns of different lengths or a 2-D array once failed inside pyarrow (ArrowInvalid),
    # a list of names with AttributeError, and a name for every pose ("a.jpg") as 5 rows.
    with pytest.raises(ValueError, match=problem):
        PoseBank.from_keypoints(real_bank[1][:3], meta=meta)


@pytest.mark.parametrize("meta, problem", [
    ({"vector": [1, 2, 3]}, "metadata column 'vector' is reserved"),
    ({"image": [1, 2, 3]}, "metadata column 'image' holds each pose's picture as bytes"),
    ({"image": ["a.jpg", None, "c.jpg"]}, "metadata column 'image' holds each pose's picture"),
])
def test_metadata_the_bank_cannot_store_is_refused_when_given(real_bank, tmp_path, meta,
                                                               problem):
    # Once accepted, then refused by save() with Lance's "Duplicate field name vector" or a
    # Python traceback inside the BankError; file names as pictures were saved as bytes.
    with pytest.raises(ValueError, match=problem):
        PoseBank.from_keypoints(real_bank[1][:3], meta=meta)


def test_metadata_columns_the_schema_declares_take_its_types(real_bank):
    # Only track and frame_time were cast: sources given as numbers stayed integers, and a
    # server over such a bank failed every search on the file name (500).
    from fastapi.testclient import TestClient

    from movemirror.bank.schema import METADATA_SCHEMA
    from movemirror.server import create_app

    poses = real_bank[1][:3]
    bank = PoseBank.from_keypoints(poses, meta={"source": [101, 102, 103],
                                                "credit": [1, 2, 3], "width": [640, 640, 640]})
    for name in ("source", "credit", "width"):
        assert bank.records.schema.field(name).type == METADATA_SCHEMA.field(name).type
    assert bank.record(1)["source"] == "102"
    with pytest.raises(ValueError, match="metadata column 'box' must hold list<item: float>"):
        PoseBank.from_keypoints(poses, meta={"box": ["a", "b", "c"]})
    with TestClient(create_app(bank, web_modules=None)) as client:
        reply = client.post("/api/search", json={"keypoints": poses[0].tolist(), "width": 640,
                                                 "height": 480, "k": 1})
    assert reply.status_code == 200 and reply.json()["matches"][0]["file"] == "101"


def test_a_missing_id_is_refused_not_named_none(real_bank):
    # ["a", None, "b"] once gave the second pose the id "None"; two of them, "ids must be
    # unique".
    with pytest.raises(ValueError, match="ids must not be None: position 1"):
        PoseBank.from_keypoints(real_bank[1][:3], ids=["a", None, "b"])
    assert PoseBank.from_keypoints(real_bank[1][:3], ids=[7, 8, 9]).ids == ["7", "8", "9"]


def test_one_id_given_as_a_string_is_one_id_not_its_characters(real_bank):
    # contains_ids("10") once asked for "1" and "0" (two answers, both True), and three poses
    # with ids="abc" were saved as "a", "b" and "c".
    bank, poses, _ = real_bank
    assert bank.contains_ids("10").tolist() == [True]
    assert bank.contains_ids("10000").tolist() == [False]  # rows 0-999: no pose has this id
    assert bank.contains_ids(10).tolist() == [True]  # a number, as in a list of them
    assert bank.contains_ids(["10", "10000"]).tolist() == [True, False]
    with pytest.raises(InvalidArgumentError, match="^1 id for 3 poses$"):
        PoseBank.from_keypoints(poses[:3], ids="abc")
    assert PoseBank.from_keypoints(poses[0], ids="abc").ids == ["abc"]  # one pose, one id


def test_an_unknown_index_is_refused_when_the_bank_is_made_or_opened(real_bank, tmp_path):
    # Once taken without a word, to fail at the first search, far from the call that was wrong.
    from movemirror.errors import UnknownIndexError

    poses = real_bank[1][:3]
    with pytest.raises(UnknownIndexError, match="unknown index 'kd-tree'; choose one of brute"):
        PoseBank.from_keypoints(poses, index="kd-tree")
    PoseBank.from_keypoints(poses).save(tmp_path / "bank")
    with pytest.raises(UnknownIndexError, match="unknown index 'kd-tree'"):
        PoseBank.load(tmp_path / "bank", index="kd-tree")
    assert PoseBank.load(tmp_path / "bank", index="brute").index_kind == "brute"


def test_a_bank_shows_its_size_and_where_it_is_saved(real_bank, tmp_path):
    # A notebook once showed "<movemirror.bank.pose_bank.PoseBank object at 0x7f...>".
    poses = real_bank[1][:8]
    bank = PoseBank.from_keypoints(poses[:5])
    assert repr(bank) == "<PoseBank of 5 poses (not saved)>"
    bank.save(tmp_path / "bank")
    bank.add(poses[5:])
    assert repr(bank) == f"<PoseBank of 8 poses ({tmp_path / 'bank'}, version 1, 3 added since)>"
    loaded = PoseBank.load(tmp_path / "bank")
    assert repr(loaded) == f"<PoseBank of 5 poses ({tmp_path / 'bank'}, version 1)>"
