import pytest
import torch
from torch import nn

from nbhelpers.layers.zoo import (
    ZOO,
    dcgan_generator,
    espcn,
    latent_decoder,
    resnet_generator,
    srgan_upsampler,
    unet,
    wavegan_generator,
)


@pytest.mark.parametrize("name", list(ZOO))
def test_every_zoo_model_runs_on_its_input_shape(name):
    entry = ZOO[name]
    model = entry.factory()
    assert isinstance(model, nn.Module) and entry.description
    with torch.no_grad():
        out = model(torch.randn(entry.input_shape))
    assert out.shape[0] == entry.input_shape[0]


def test_output_shapes_follow_the_published_designs():
    assert dcgan_generator(size=64)(torch.randn(2, 100, 1, 1)).shape == (2, 3, 64, 64)
    assert resnet_generator()(torch.randn(1, 3, 24, 24)).shape == (1, 3, 24, 24)
    assert unet(depth=3)(torch.randn(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    assert espcn(scale=2)(torch.randn(1, 3, 10, 10)).shape == (1, 3, 20, 20)
    assert wavegan_generator()(torch.randn(2, 100)).shape == (2, 1, 4096)
    assert srgan_upsampler(scale=8)(torch.randn(1, 3, 5, 5)).shape == (1, 3, 40, 40)
    assert latent_decoder(ups=3)(torch.randn(1, 4, 5, 5)).shape == (1, 3, 40, 40)


def test_zoo_layers_are_the_published_ones():
    deconvs = [m for m in dcgan_generator().modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.kernel_size, m.stride) for m in deconvs[1:]] == [((4, 4), (2, 2))] * 3
    ups = [m for m in unet().modules() if isinstance(m, nn.ConvTranspose2d)]
    assert all(m.kernel_size == (2, 2) and m.stride == (2, 2) for m in ups)
    waves = [m for m in wavegan_generator().modules() if isinstance(m, nn.ConvTranspose1d)]
    assert len(waves) == 4 and all(m.kernel_size == (25,) and m.stride == (4,) for m in waves)
    srgan = list(srgan_upsampler(scale=4))
    shuffles = [i for i, m in enumerate(srgan) if isinstance(m, nn.PixelShuffle)]
    assert len(shuffles) == 2 and all(isinstance(srgan[i - 1], nn.Conv2d) for i in shuffles)
    assert not any(isinstance(m, (nn.Upsample, nn.ConvTranspose2d)) for m in latent_decoder().modules())


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: dcgan_generator(size=48), "power of two"),
        (lambda: espcn(scale=1), "scale"),
        (lambda: srgan_upsampler(scale=3), "scale"),
        (lambda: latent_decoder(ups=0), "ups"),
        (lambda: unet(depth=0), "depth"),
        (lambda: resnet_generator(width=0), "width"),
    ],
)
def test_bad_arguments(call, words):
    with pytest.raises(ValueError, match=words):
        call()
