"""prisma_abu.neural.device and calibrate: device names, what was found, precision by measurement."""

from __future__ import annotations

import pytest
import torch

from prisma_abu.errors import InvalidParameterError
from prisma_abu.neural import calibrate, device


@pytest.fixture
def gpus(monkeypatch):
    """Pretend this machine has ``n`` working CUDA devices (nothing runs on them)."""

    def have(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
        monkeypatch.setattr(device, "_works", lambda d: True)

    return have


@pytest.mark.parametrize("spec, parsed", [("auto", ("auto", None)), ("CPU", ("cpu", None)), ("cuda", ("cuda", None)),
                                          ("cuda:3", ("cuda", 3)), ("mps", ("mps", None))])
def test_device_names(spec, parsed):
    assert device.parse_device(spec) == parsed


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cpu:1", "", "cuda:-1", 3])
def test_bad_device_names(spec):
    with pytest.raises(InvalidParameterError, match="device: expected auto, cpu, cuda, cuda:N or mps"):
        device.parse_device(spec)


def test_no_gpu_auto_is_the_cpu_and_asking_for_one_says_what_was_found(gpus):
    gpus(0)
    assert device.torch_device("auto") == torch.device("cpu")
    with pytest.raises(InvalidParameterError, match=r"device cuda: not available; found the CPU and no CUDA device"):
        device.torch_device("cuda")


def test_with_gpus_auto_is_the_first_and_a_missing_index_is_refused(gpus):
    gpus(2)
    assert device.torch_device("auto") == torch.device("cuda", 0)
    assert device.torch_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(InvalidParameterError, match=r"cuda:5: not available; found the CPU and 2 CUDA devices "
                                                    r"\(cuda:0, cuda:1\)"):
        device.torch_device("cuda:5")
    assert device.device_name(torch.device("cuda")) == "cuda:0" and device.device_name("cpu") == "cpu"


def test_a_gpu_turns_on_cudnns_autotuner_and_the_cpu_leaves_it(gpus, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    gpus(0)
    device.torch_device("auto")
    assert torch.backends.cudnn.benchmark is False
    gpus(1)
    device.torch_device("cuda")
    assert torch.backends.cudnn.benchmark is True


def test_cpu_autocast_is_bf16_and_fp32_is_plain():
    x = torch.ones(2, 2)
    with device.autocast(torch.device("cpu"), "bf16"):
        assert (x @ x).dtype == torch.bfloat16
    with device.autocast(torch.device("cpu"), "fp32"):
        assert (x @ x).dtype == torch.float32


@pytest.fixture
def timings(monkeypatch, tmp_path):
    """A machine with native bf16 whose measured times are given (its own cache); counts the measurements."""
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(tmp_path / "cache"))
    calls = []

    def use(fp32: float, bf16: float) -> list:
        monkeypatch.setattr(calibrate, "_native_bf16", lambda d: True)
        monkeypatch.setattr(calibrate, "step_seconds",
                            lambda net, d, p, image: calls.append(p) or {"fp32": fp32, "bf16": bf16}[p])
        return calls

    monkeypatch.delenv(calibrate.FORCE_ENV, raising=False)
    return use


def test_the_faster_precision_is_measured_once_and_remembered(timings):
    calls = timings(fp32=1.0, bf16=1.4)  # an Intel Xeon: bf16 slower
    cpu = torch.device("cpu")
    assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "fp32"
    measured = ["fp32", "bf16"] * (calibrate.STEPS + 1)  # alternating, after a warm-up of each
    assert calls == measured
    assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "fp32"  # from the cache
    assert calls == measured
    key = calibrate.machine_key("tiny", cpu)
    entry = calibrate.verdicts()[key]
    assert entry["verdict"] == "fp32" and entry["fp32_s"] == 1.0 and entry["bf16_s"] == 1.4 and entry["settled"]
    assert "torch " + torch.__version__ in key and f"{torch.get_num_threads()} threads" in key


def test_another_torch_or_backbone_measures_again(timings, monkeypatch):
    calls = timings(fp32=2.0, bf16=0.8)  # an AMD EPYC: bf16 faster
    cpu = torch.device("cpu")
    assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "bf16"
    assert calibrate.calibrated_precision("other", cpu, load=lambda: None) == "bf16"
    monkeypatch.setattr(torch, "__version__", "9.9.9")
    assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "bf16"
    assert len(calls) == 3 * 2 * (calibrate.STEPS + 1)  # three keys, both precisions each


def test_without_native_bf16_auto_is_fp32_with_no_measurement(monkeypatch):
    monkeypatch.delenv(calibrate.FORCE_ENV, raising=False)
    monkeypatch.setattr(calibrate, "_native_bf16", lambda d: False)
    monkeypatch.setattr(calibrate, "step_seconds", lambda *a: pytest.fail("measured"))
    assert calibrate.calibrated_precision("tiny", torch.device("cpu"), load=lambda: None) == "fp32"


def test_the_verdict_can_be_forced(monkeypatch):
    monkeypatch.setenv(calibrate.FORCE_ENV, "bf16")
    assert calibrate.calibrated_precision("tiny", torch.device("cpu"), load=lambda: None) == "bf16"
    monkeypatch.setenv(calibrate.FORCE_ENV, "fp16")
    with pytest.raises(InvalidParameterError, match="expected fp32 or bf16"):
        calibrate.calibrated_precision("tiny", torch.device("cpu"))


def test_a_real_measurement_times_both(tiny_encoder):
    tiny_encoder.default_layer = "conv2"
    times = calibrate.measure(tiny_encoder, torch.device("cpu"), steps=2)
    assert set(times) == {"fp32", "bf16"} and all(len(v) == 2 and min(v) > 0 for v in times.values())


class _BusyMachine:
    """A step timer on a machine whose load comes and goes in bursts (each burst lasts several steps)."""

    def __init__(self, seed: int, fp32: float, bf16: float) -> None:
        import random

        self.rng, self.truth, self.busy = random.Random(seed), {"fp32": fp32, "bf16": bf16}, False

    def __call__(self, net, device, precision, image) -> float:
        if self.rng.random() < 0.25:  # the load starts or stops
            self.busy = not self.busy
        slow = self.rng.uniform(1.8, 3.0) if self.busy else 1.0
        return self.truth[precision] * slow * self.rng.uniform(0.97, 1.03)


@pytest.mark.parametrize("fp32, bf16, truth", [(1.0, 0.64, "bf16"), (1.0, 1.3, "fp32"), (0.5, 0.29, "bf16")])
def test_a_busy_machine_does_not_fool_the_verdict(timings, monkeypatch, fp32, bf16, truth):
    """Bursts of load over the measurement: never a wrong settled verdict, and the faster one after a few runs."""
    timings(fp32=1.0, bf16=1.0)
    cpu, final = torch.device("cpu"), []
    for seed in range(50):
        monkeypatch.setattr(calibrate, "step_seconds", _BusyMachine(seed, fp32, bf16))
        calibrate.forget()
        for run in range(calibrate.ATTEMPTS):
            verdict = calibrate.calibrated_precision("tiny", cpu, load=lambda: None)
            entry = calibrate.verdicts()[calibrate.machine_key("tiny", cpu)]
            assert verdict == truth or not entry["settled"], (seed, entry)
        final.append(verdict)
    assert final.count(truth) == 50


def test_one_sequential_sample_would_have_been_fooled():
    """The old rule (3 fp32 steps then 3 bf16 steps, faster median wins) on the same busy machines goes wrong."""
    import statistics

    wrong = 0
    for seed in range(50):
        timer = _BusyMachine(seed, 1.0, 0.64)
        fp32 = statistics.median(timer(None, None, "fp32", None) for _ in range(3))
        bf16 = statistics.median(timer(None, None, "bf16", None) for _ in range(3))
        wrong += bf16 >= fp32
    assert wrong > 0


def test_a_difference_inside_the_noise_is_fp32_and_measured_again(timings, monkeypatch):
    """bf16 steps alternately 10 % faster and as fast: fp32 (exact), not settled, measured again until ATTEMPTS."""
    import itertools

    calls, bf16 = timings(fp32=1.0, bf16=1.0), itertools.cycle([0.9, 1.0])
    monkeypatch.setattr(calibrate, "step_seconds",
                        lambda net, d, p, image: calls.append(p) or (next(bf16) if p == "bf16" else 1.0))
    cpu = torch.device("cpu")
    for attempt in range(1, calibrate.ATTEMPTS + 2):
        assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "fp32"
        entry = calibrate.verdicts()[calibrate.machine_key("tiny", cpu)]
        assert not entry["settled"] and entry["attempts"] == min(attempt, calibrate.ATTEMPTS)
    assert len(calls) == calibrate.ATTEMPTS * 2 * (calibrate.STEPS + 1)


def test_two_percent_is_not_worth_bf16(timings):
    timings(fp32=1.0, bf16=0.98)
    assert calibrate.calibrated_precision("tiny", torch.device("cpu"), load=lambda: None) == "fp32"
    assert calibrate.verdicts()[calibrate.machine_key("tiny", torch.device("cpu"))]["settled"]


def test_recalibrate_forgets_every_verdict(timings):
    timings(fp32=2.0, bf16=1.0)
    assert calibrate.calibrated_precision("tiny", torch.device("cpu"), load=lambda: None) == "bf16"
    assert calibrate.forget() == 1 and calibrate.verdicts() == {}


def test_native_bf16_is_read_from_the_cpus_flags(tmp_path):
    from prisma_abu.neural.device import cpu_bf16

    with_bf16, without, amx = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 avx512_vnni\n\n")
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512bw avx512_vnni\n\n")  # an AVX-512 Xeon
    amx.write_text("flags\t\t: fpu amx_tile amx_bf16\n")
    assert cpu_bf16(str(with_bf16)) and cpu_bf16(str(amx))
    assert not cpu_bf16(str(without))
    assert not cpu_bf16(str(tmp_path / "missing"))  # not Linux: no flags, fp32 without measuring
