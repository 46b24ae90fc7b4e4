import numpy as np
import pytest

from movemirror import errors
from movemirror.bank import PoseBank
from movemirror.errors import BankError, MovemirrorError, PoseError


def test_every_error_shares_the_base_and_keeps_its_builtin_one():
    builtin = {
        "PoseError": ValueError, "UnknownMetricError": ValueError,
        "UnknownIndexError": ValueError, "ImageError": ValueError,
        "AttributionError": ValueError, "ModelMissingError": FileNotFoundError,
        "DatasetMissingError": FileNotFoundError, "BankError": Exception,
        "DecodeError": Exception, "IngestError": Exception, "MotionError": ValueError,
        "QueryLogError": ValueError, "DeviceError": ValueError, "ClusterError": Exception,
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
