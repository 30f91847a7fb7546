
import pytest
import torch
from torch import nn

from nbhelpers.experiments.backward import backward_as_transposed_convolution, readout_gradient
from nbhelpers.experiments.feature_vis import (
    excited_channels,
    feature_visualization,
    jitter_comparison,
    jitter_offsets,
)
from nbhelpers.experiments.gan import train_image_gan
from nbhelpers.experiments.gradients import image_source_task, input_gradients, measure_input_gradients
from nbhelpers.layers.downsampling import DOWNSAMPLING_DESIGNS, BlurPool2d, make_downsampler
from nbhelpers.layers.models import DownsamplingCNN, PatchDiscriminator
from nbhelpers.measures import checkerboard_index, coverage
from nbhelpers.plots.tables import format_gradient_table


@pytest.mark.parametrize(
    "kernel_size, stride, padding, size",
    [(3, 2, 1, 16), (4, 2, 1, 16), (2, 2, 0, 16), (3, 2, 1, 15), (5, 3, 2, 17), (3, 1, 1, 9)],
)
def test_backward_of_a_convolution_is_a_transposed_convolution(kernel_size, stride, padding, size):
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, kernel_size, stride=stride, padding=padding)
    x = torch.randn(2, 3, size, size)
    check = backward_as_transposed_convolution(conv, x, seed=1)
    assert check.autograd.shape == x.shape == check.transposed.shape
    assert check.max_abs_difference < 1e-5
    assert check.autograd.abs().max() > 0.1  # not trivially zero


def test_backward_check_catches_a_different_kernel():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1)
    x = torch.randn(1, 1, 8, 8)
    g = torch.randn(1, 1, 4, 4)
    good = backward_as_transposed_convolution(conv, x, g)
    with torch.no_grad():
        flipped = torch.nn.functional.conv_transpose2d(g, conv.weight.flip(-1, -2), stride=2, padding=1,
                                                       output_padding=1)
    assert (good.autograd - flipped).abs().max() > 1e-2  # the identity uses W itself, not a flipped W


def test_readout_gradient_of_all_ones_kernel_is_the_coverage_map():
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1, bias=False)
    nn.init.ones_(conv.weight)
    grad = readout_gradient(conv, size=8)[0]
    assert grad[2:6, 2:6].tolist() == [[1, 2, 1, 2], [2, 4, 2, 4], [1, 2, 1, 2], [2, 4, 2, 4]]
    # notebook 01's coverage map (no padding) is the same map shifted by the padding
    cov = coverage(3, 2, n_in=4, ndim=2, device="cpu")
    assert torch.equal(grad[2:6, 2:6].long(), cov[3:7, 3:7])
    even = nn.Conv2d(1, 1, 4, stride=2, padding=1, bias=False)
    nn.init.ones_(even.weight)
    assert set(readout_gradient(even, size=8)[0, 2:6, 2:6].flatten().tolist()) == {4.0}


@pytest.mark.parametrize("design", DOWNSAMPLING_DESIGNS)
def test_downsamplers_halve_the_resolution(design):
    block = make_downsampler(design, 3, 4)
    assert block(torch.rand(2, 3, 16, 16)).shape == (2, 4, 8, 8)
    model = DownsamplingCNN(design, (4, 6), num_classes=5)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 5)
    assert model.features(torch.rand(1, 3, 32, 32)).shape == (1, 6, 8, 8)


def test_blurpool_keeps_a_constant_and_blurs_a_checkerboard():
    pool = BlurPool2d(2)
    flat = torch.full((1, 2, 8, 8), 3.0)
    assert torch.allclose(pool(flat), torch.full((1, 2, 4, 4), 3.0))
    i = torch.arange(8)
    board = ((i.view(-1, 1) + i.view(1, -1)) % 2).float().expand(1, 2, 8, 8) * 2 - 1
    out = pool(board)
    # the binomial blur's response at the Nyquist frequency is 0: the interior becomes exactly 0
    assert out[..., 1:-1, 1:-1].abs().max() < 1e-6


def test_phase_ratio_and_index_on_a_hand_made_gradient():
    gen = torch.Generator().manual_seed(0)
    signs = torch.randint(0, 2, (8, 3, 16, 16), generator=gen).float() * 2 - 1
    scale = torch.ones(16, 16)
    scale[1::2, 1::2] = 4.0  # every (odd, odd) pixel gets 4x the gradient of (even, even) ones
    scale[0::2, 1::2] = 2.0
    scale[1::2, 0::2] = 2.0
    grads = signs * scale

    class Readout(nn.Module):
        def forward(self, x):
            return (x * grads).flatten(1).sum(dim=1, keepdim=True)

    model = Readout()
    found = measure_input_gradients(model, torch.zeros_like(grads))
    assert torch.equal(found.phase_means, torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert found.phase_ratio == pytest.approx(4.0) and found.index > 0.5
    assert found.magnitude_map.shape == (16, 16)
    # signed, the pattern cancels over random signs: the index must look at magnitudes
    assert checkerboard_index(grads, 2, ndim=2, reduce="batch").item() < 0.05


def test_input_gradients_shapes_and_labels():
    torch.manual_seed(0)
    model = DownsamplingCNN("stride2_k3", (4, 4), num_classes=3)
    x = torch.rand(5, 3, 16, 16)
    labels = torch.tensor([0, 1, 2, 0, 1])
    g_loss = input_gradients(model, x, labels)
    g_sum = input_gradients(model, x)
    assert g_loss.shape == g_sum.shape == x.shape
    assert not torch.allclose(g_loss, g_sum)
    assert all(p.grad is None for p in model.parameters())
    assert model.training  # restored
    # each image's gradient is its own: changing image 0 leaves image 1's gradient alone
    x2 = x.clone()
    x2[0] = torch.rand(3, 16, 16)
    assert torch.allclose(input_gradients(model, x2, labels)[1], g_loss[1])
    result = measure_input_gradients(model, x, labels)
    assert result.phase_means.shape == (2, 2) and result.magnitude_map.shape == (16, 16)
    assert result.phase_ratio >= 1.0 and result.index >= 0.0


def test_strided_k3_gradients_beat_blurpool_at_init():
    x, labels = image_source_task(64, size=32, seed=0, device="cpu")
    torch.manual_seed(0)
    strided = measure_input_gradients(DownsamplingCNN("stride2_k3", (8, 8)), x, labels)
    torch.manual_seed(0)
    blurred = measure_input_gradients(DownsamplingCNN("blurpool", (8, 8)), x, labels)
    assert strided.index > 3 * blurred.index
    assert strided.phase_ratio > 1.3 > blurred.phase_ratio


def test_image_source_task_labels_name_the_source_image():
    x, labels = image_source_task(20, size=8, seed=3, device="cpu")
    assert x.shape == (20, 3, 8, 8) and labels.shape == (20,) and labels.dtype == torch.int64
    assert 0 <= labels.min() and labels.max() < 7


def test_format_gradient_table():
    torch.manual_seed(0)
    x, labels = torch.rand(4, 3, 16, 16), torch.tensor([0, 1, 0, 1])
    before = {("avgpool", s): measure_input_gradients(DownsamplingCNN("avgpool", (4, 4), 2), x, labels)
              for s in (0, 1)}
    table = format_gradient_table(before, before)
    assert table.splitlines()[0].startswith("design") and "avgpool" in table.splitlines()[2]
    with pytest.raises(ValueError, match="same"):
        format_gradient_table(before, {})


def test_jitter_offsets_are_deterministic_and_in_range():
    a, b = jitter_offsets(50, 3, seed=7), jitter_offsets(50, 3, seed=7)
    assert torch.equal(a, b) and a.shape == (50, 2) and a.dtype == torch.int64
    assert a.min() >= -3 and a.max() <= 3 and len(set(a.flatten().tolist())) == 7
    assert not torch.equal(a, jitter_offsets(50, 3, seed=8))
    assert jitter_offsets(5, 0).abs().max() == 0


def test_feature_visualization_raises_the_activation_and_is_deterministic():
    torch.manual_seed(0)
    features = DownsamplingCNN("stride2_k3", (4, 4)).features
    start = torch.rand(3, 16, 16)
    channel = excited_channels(features, start[None], 1)[0]
    a = feature_visualization(features, channel, size=16, steps=10, max_shift=2, seed=1, start=start)
    b = feature_visualization(features, channel, size=16, steps=10, max_shift=2, seed=1, start=start)
    assert torch.equal(a.image, b.image) and torch.equal(a.offsets, jitter_offsets(10, 2, 1))
    assert a.image.shape == (3, 16, 16) and len(a.activations) == 10
    assert a.activations[-1] > a.activations[0]
    plain = feature_visualization(features, channel, size=16, steps=10, max_shift=0, seed=1, start=start)
    assert plain.offsets.abs().max() == 0 and not torch.equal(plain.image, a.image)
    pairs = jitter_comparison(features, torch.rand(2, 3, 16, 16), max_shift=2, steps=3)
    assert len(pairs) == 2 and pairs[0][0].offsets.abs().max() == 0 and pairs[0][1].offsets.abs().max() > 0


def test_image_gan_records_the_index_and_is_deterministic():
    real = torch.rand(32, 3, 16, 16)
    run = train_image_gan(real, 2, n_images=4, steps=6, record_every=3, seed=0, progress=False)
    again = train_image_gan(real, 2, n_images=4, steps=6, record_every=3, seed=0, progress=False)
    assert run.steps == [0, 3, 6] and len(run.index) == 3 and len(run.discriminator_losses) == 6
    assert run.images.shape == (4, 3, 16, 16) and torch.equal(run.images, again.images)
    assert run.mean_index(3) == pytest.approx((run.index[1] + run.index[2]) / 2)
    with pytest.raises(ValueError, match="from_step"):
        run.mean_index(7)
    adam = train_image_gan(real, 1, n_images=4, steps=2, seed=0, progress=False, image_update="adam")
    assert adam.first_stride == 1 and adam.images.shape == (4, 3, 16, 16)
    assert PatchDiscriminator(1)(real[:2]).shape == (2,)


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: make_downsampler("stride3", 3, 4), ValueError, "design"),
        (lambda: DownsamplingCNN("avgpool", (), 3), ValueError, "channels"),
        (lambda: backward_as_transposed_convolution(nn.Linear(2, 2), torch.rand(1, 2)), TypeError, "conv"),
        (lambda: backward_as_transposed_convolution(nn.Conv2d(3, 2, 3), torch.rand(1, 2, 8, 8)),
         ValueError, "inputs"),
        (lambda: backward_as_transposed_convolution(nn.Conv2d(1, 1, 3), torch.rand(1, 1, 8, 8),
                                                    torch.rand(1, 1, 5, 5)), ValueError, "output_gradient"),
        (lambda: input_gradients("model", torch.rand(1, 3, 8, 8)), TypeError, "model"),
        (lambda: input_gradients(DownsamplingCNN(), torch.rand(2, 3, 8, 8), torch.rand(2)), ValueError,
         "labels"),
        (lambda: jitter_offsets(0, 2), ValueError, "steps"),
        (lambda: jitter_offsets(3, -1), ValueError, "max_shift"),
        (lambda: jitter_offsets(3, 1.5), TypeError, "max_shift"),
        (lambda: feature_visualization(DownsamplingCNN().features, 99, size=8, steps=1), ValueError,
         "channel"),
        (lambda: feature_visualization(DownsamplingCNN().features, 0, size=8, step_size=0), ValueError,
         "step_size"),
        (lambda: feature_visualization(DownsamplingCNN().features, 0, size=8, start=torch.rand(3, 4, 4)),
         ValueError, "start"),
        (lambda: train_image_gan(torch.rand(4, 3, 8, 8), 3), ValueError, "first_stride"),
        (lambda: train_image_gan(torch.rand(4, 3, 8, 8), 2, lr_images=-1), ValueError, "lr_images"),
        (lambda: train_image_gan(torch.rand(4, 3, 8, 8), 2, image_update="sgd"), ValueError, "image_update"),
        (lambda: excited_channels(DownsamplingCNN().features, torch.rand(1, 3, 8, 8), 0), ValueError, "k"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
