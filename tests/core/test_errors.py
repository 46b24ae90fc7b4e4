import numpy as np
import pytest

from movemirror import errors
from movemirror.bank import PoseBank
from movemirror.errors import BankError, InvalidArgumentError, MovemirrorError, PoseError


def test_every_error_shares_the_base_and_keeps_its_builtin_one():
    builtin = {
        "PoseError": ValueError, "UnknownMetricError": ValueError,
        "UnknownIndexError": ValueError, "ImageError": ValueError,
        "AttributionError": ValueError, "ModelMissingError": FileNotFoundError,
        "DatasetMissingError": FileNotFoundError, "BankError": Exception,
        "DecodeError": Exception, "IngestError": Exception, "MotionError": ValueError,
        "QueryLogError": ValueError, "DeviceError": ValueError, "ClusterError": Exception,
        "InvalidArgumentError": ValueError, "NothingToIndexError": Exception,
        "RowError": IndexError, "InvalidTypeError": TypeError, "SpecError": ValueError,
    }
    declared = {name for name, value in vars(errors).items()
                if isinstance(value, type) and issubclass(value, Exception)}
    assert declared == {"MovemirrorError", *builtin}
    for name, base in builtin.items():
        error = getattr(errors, name)
        assert issubclass(error, MovemirrorError) and issubclass(error, base), name


def test_one_except_catches_what_the_library_raises(tmp_path):
    with pytest.raises(MovemirrorError) as caught:
        PoseBank.load(tmp_path / "nowhere")
    assert isinstance(caught.value, BankError)
    flat = np.zeros((1, 17, 3), np.float32)
    with pytest.raises(MovemirrorError) as caught:
        PoseBank.from_keypoints(flat)
    assert isinstance(caught.value, PoseError)


@pytest.fixture(scope="module")
def standing(penn_valid):
    """A bank of three real Penn Action poses."""
    return PoseBank.from_keypoints(penn_valid[0][:3])


@pytest.mark.parametrize("misuse", [
    lambda bank: bank.search(bank.keypoints[0], k=2.5),
    lambda bank: bank.search(bank.keypoints[0], k=0),
    lambda bank: PoseBank.from_keypoints(bank.keypoints, ids=["a"]),
    lambda bank: PoseBank.from_keypoints(bank.keypoints, ids=["a", "a", "b"]),
    lambda bank: PoseBank.from_keypoints(bank.keypoints, meta={"source": ["x.jpg"]}),
    lambda bank: PoseBank.from_keypoints(bank.keypoints, on_invalid="drop"),
    lambda bank: PoseBank.from_keypoints(bank.keypoints).save(),
])
def test_a_misused_argument_is_an_invalid_argument_error_under_the_base(misuse, standing):
    """Arguments the library cannot take raise InvalidArgumentError: caught by
    `except MovemirrorError`, and still a ValueError as before."""
    with pytest.raises(InvalidArgumentError) as caught:
        misuse(standing)
    assert isinstance(caught.value, MovemirrorError) and isinstance(caught.value, ValueError)


def test_a_row_or_an_image_the_library_cannot_take_is_caught_under_the_base(standing):
    # record(-1) and record(1.5) raised a bare IndexError and TypeError, an image given as bytes
    # a bare TypeError: `except MovemirrorError` let them through. Each keeps its builtin base.
    from movemirror.pose.image import load_image

    for misuse, builtin in ((lambda: standing.record(-1), IndexError),
                            (lambda: standing.image(3), IndexError),
                            (lambda: standing.record(1.5), TypeError),
                            (lambda: load_image(b"\xff\xd8\xff"), TypeError)):
        with pytest.raises(MovemirrorError) as caught:
            misuse()
        assert isinstance(caught.value, builtin)
    with pytest.raises(TypeError, match=r"got bytes: give .*PIL.Image.open\(io.BytesIO"):
        load_image(b"\xff\xd8\xff")
