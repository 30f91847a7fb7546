import pytest
import torch

from nbhelpers.experiments.data import (
    HELDOUT_FRACTION,
    NATURAL_IMAGES,
    SHAPE_CODE_FIELDS,
    colored_shapes,
    flat_color_codes,
    natural_patches,
    render_shapes,
)


def load_image(name, device="cpu"):
    """The image straight from scikit-image (independent of nbhelpers' loader), (3, H, W) in [0, 1]."""
    import numpy as np
    import skimage.data

    if name == "motorcycle_left":
        array = skimage.data.stereo_motorcycle()[0]
    else:
        array = getattr(skimage.data, name)()
    return torch.from_numpy(np.ascontiguousarray(array[..., :3])).permute(2, 0, 1).float().div(255).to(device)


@pytest.mark.parametrize("name", NATURAL_IMAGES)
def test_every_natural_image_loads_offline_as_rgb_in_unit_range(name):
    patches, origins = natural_patches(8, size=32, images=[name], seed=0, device="cpu", return_origins=True)
    image = load_image(name)
    assert image.shape[0] == 3 and min(image.shape[1:]) >= 128
    assert patches.dtype == torch.float32 and 0.0 <= patches.min() and patches.max() <= 1.0
    _, top, left = origins[0].tolist()
    assert torch.equal(patches[0], image[:, top : top + 32, left : left + 32])


def test_natural_patches_shape_range_and_determinism():
    a = natural_patches(40, size=16, seed=3, device="cpu")
    b = natural_patches(40, size=16, seed=3, device="cpu")
    c = natural_patches(40, size=16, seed=4, device="cpu")
    assert a.shape == (40, 3, 16, 16) and a.dtype == torch.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_heldout_split_is_disjoint_from_train():
    size = 32
    train, train_origin = natural_patches(300, size, "train", seed=0, device="cpu", return_origins=True)
    held, held_origin = natural_patches(300, size, "heldout", seed=0, device="cpu", return_origins=True)
    for origin, split in ((train_origin, "train"), (held_origin, "heldout")):
        for image_index, _top, left in origin.tolist():
            width = load_image(NATURAL_IMAGES[image_index], device="cpu").shape[-1]
            boundary = round(width * (1 - HELDOUT_FRACTION))
            if split == "train":
                assert left + size <= boundary
            else:
                assert left >= boundary
    # the crops really come from where the origins say
    image_index, top, left = train_origin[0].tolist()
    image = load_image(NATURAL_IMAGES[image_index], device="cpu")
    assert torch.equal(train[0], image[:, top : top + size, left : left + size])
    assert not torch.equal(train[:10], held[:10])


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        ({"n": 0}, ValueError, "n"),
        ({"n": 2.5}, TypeError, "n"),
        ({"n": 4, "size": 1}, ValueError, "size"),
        ({"n": 4, "split": "test"}, ValueError, "split"),
        ({"n": 4, "images": ["lena"]}, ValueError, "images[0]"),
        ({"n": 4, "images": []}, ValueError, "images"),
    ],
)
def test_natural_patches_rejects_bad_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word.replace("[", r"\[").replace("]", r"\]")):
        natural_patches(device="cpu", **kwargs)


def test_unknown_image_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"images\[0\]"):
        natural_patches(4, images=["lena"])


def test_colored_shapes_shapes_range_determinism_and_mean_color():
    a = colored_shapes(64, size=16, seed=0, device="cpu")
    b = colored_shapes(64, size=16, seed=0, device="cpu")
    assert a.images.shape == (64, 3, 16, 16) and a.codes.shape == (64, len(SHAPE_CODE_FIELDS))
    assert len(a) == 64
    assert torch.equal(a.images, b.images) and torch.equal(a.codes, b.codes)
    assert 0.0 <= a.images.min() and a.images.max() <= 1.0
    assert torch.allclose(a.mean_color, a.images.mean(dim=(0, 2, 3)))
    codes, images = a.dataset().tensors
    assert torch.equal(codes, a.codes) and torch.equal(images, a.images)


def test_colored_shapes_colours_are_controlled():
    shapes = colored_shapes(200, size=16, seed=1, color_low=0.2, color_high=0.4, device="cpu")
    colours = shapes.codes[:, :6]
    assert colours.min() >= 0.2 and colours.max() <= 0.4
    assert shapes.images.min() >= 0.2 - 1e-6 and shapes.images.max() <= 0.4 + 1e-6
    assert torch.allclose(shapes.mean_color, torch.full((3,), 0.3), atol=0.03)


def test_render_shapes_draws_background_and_shape_colours():
    code = torch.tensor([[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.25, 1.0]])
    image = render_shapes(code, size=16)[0]
    assert torch.allclose(image[:, 0, 0], torch.tensor([1.0, 0.0, 0.0]))  # background corner
    assert torch.allclose(image[:, 8, 8], torch.tensor([0.0, 0.0, 1.0]))  # shape centre


def test_flat_color_codes_render_flat_fields():
    colors = torch.tensor([[0.1, 0.5, 0.9], [1.0, 1.0, 0.0]])
    images = render_shapes(flat_color_codes(colors), size=8)
    assert torch.allclose(images, colors.view(2, 3, 1, 1).expand(2, 3, 8, 8), atol=1e-6)
    with pytest.raises(ValueError, match="colors"):
        flat_color_codes(torch.zeros(2, 4))


def test_colored_shapes_rejects_bad_arguments():
    with pytest.raises(ValueError, match="color_low"):
        colored_shapes(4, color_low=0.5, color_high=0.5)
    with pytest.raises(ValueError, match="size"):
        colored_shapes(4, size=2)
    with pytest.raises(ValueError, match="codes"):
        render_shapes(torch.zeros(3, 4))
