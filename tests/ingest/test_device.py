"""--device: which execution provider the sessions get, and the CPU that runs when there is
no GPU (there is none on this project's machines)."""

from __future__ import annotations

import pytest

from movemirror.errors import ClusterError, DeviceError
from movemirror.ingest.engines.ray import cluster_device, plan_actors
from movemirror.pose.session import (
    CPU_PROVIDER,
    CUDA_PROVIDER,
    Device,
    choose_device,
    create_session,
    cuda_device_count,
)

GPU_BUILD = [CUDA_PROVIDER, CPU_PROVIDER]  # what onnxruntime-gpu lists


def test_cpu_is_taken_when_asked_for_whatever_the_machine_has():
    device = choose_device("cpu", providers=GPU_BUILD, cuda_devices=2)
    assert device.name == "cpu" and device.providers == [CPU_PROVIDER]


def test_auto_takes_cuda_only_with_both_the_gpu_build_and_a_device():
    assert choose_device("auto", providers=GPU_BUILD, cuda_devices=1).name == "cuda"
    assert choose_device("auto", providers=GPU_BUILD, cuda_devices=1).providers == GPU_BUILD
    no_build = choose_device("auto", providers=[CPU_PROVIDER], cuda_devices=4)
    assert no_build.name == "cpu" and "onnxruntime-gpu" in no_build.reason
    no_device = choose_device("auto", providers=GPU_BUILD, cuda_devices=0)
    assert no_device.name == "cpu" and "no CUDA device" in no_device.reason
    assert no_device.describe().startswith("cpu (")


def test_cuda_where_it_cannot_run_is_an_error_naming_what_is_missing():
    with pytest.raises(DeviceError, match="onnxruntime-gpu"):
        choose_device("cuda", providers=[CPU_PROVIDER], cuda_devices=1)
    with pytest.raises(DeviceError, match="no CUDA device"):
        choose_device("cuda", providers=GPU_BUILD, cuda_devices=0)
    with pytest.raises(DeviceError, match="auto, cpu, cuda"):
        choose_device("tpu")


def test_this_machine_falls_back_to_the_cpu_and_its_sessions_run(lspet_images):
    import onnxruntime as ort

    from movemirror.pose import ModelMissingError, PoseEstimator

    device = choose_device("auto")  # the real providers and driver of this machine
    if CUDA_PROVIDER in ort.get_available_providers() and cuda_device_count() > 0:
        pytest.skip("this machine has a GPU: the fallback cannot be seen here")
    assert device.name == "cpu" and device.reason
    try:
        session = create_session("lightning", threads=1, device=device.name)
    except ModelMissingError as error:
        pytest.skip(str(error))
    assert session.get_providers() == [CPU_PROVIDER]
    poses = PoseEstimator("lightning", mode="fast", threads=1, device=device.name).estimate(
        lspet_images[0])
    assert poses and poses[0].keypoints.shape == (17, 3)
    with pytest.raises(DeviceError):
        create_session("lightning", device="auto")  # a session takes a chosen device


def test_ray_asks_for_gpus_where_the_cluster_has_them_and_refuses_impossible_plans():
    assert cluster_device("auto", gpus=2).name == "cuda"
    assert cluster_device("auto", gpus=0).name == "cpu"
    assert cluster_device("cpu", gpus=2).name == "cpu"
    with pytest.raises(ClusterError, match="no GPU"):
        cluster_device("cuda", gpus=0)
    cpu, cuda = Device("cpu", ""), Device("cuda", "")
    assert plan_actors(0, cpus=2, gpus=0, device=cpu) == 2  # one actor per CPU
    assert plan_actors(1, cpus=2, gpus=0, device=cpu) == 1
    assert plan_actors(0, cpus=8, gpus=2, device=cuda) == 2  # one actor per GPU
    with pytest.raises(ClusterError, match="has 2 CPU.*--workers 3"):
        plan_actors(3, cpus=2, gpus=0, device=cpu)
    with pytest.raises(ClusterError, match="no CPU"):
        plan_actors(0, cpus=0, gpus=0, device=cpu)


@pytest.mark.parametrize("device", ["tpu", "auto", "CPU", None])
def test_an_estimator_refuses_a_device_it_cannot_run_on_when_made_naming_the_choices(device):
    from movemirror.pose import PoseEstimator

    # Once refused only by the first estimate's session, after the image was read.
    with pytest.raises(DeviceError, match=r"cpu, cuda.*" + repr(device)):
        PoseEstimator("lightning", device=device)
    assert PoseEstimator("lightning", device="cpu").device == "cpu"
