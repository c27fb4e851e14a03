"""Tests of the data sets: built-in digits, image folders in every layout, and torchvision files."""

from __future__ import annotations

import inspect
import struct
import typing
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from ganzoo.data import (
    ITEM_KEYS,
    AlignedFolder,
    DataError,
    Digits,
    DigitsInpainting,
    EdgesToDigits,
    ExemplarFolder,
    GanDataset,
    ImageFolder,
    PairedTransform,
    TorchvisionDataset,
    UnalignedFolder,
    UnpairedDigits,
    denormalize,
    normalize,
    to_tensor,
)
from ganzoo.data.digits import digits_split, load_digits, split_indices
from ganzoo.data.folders import load_image
from ganzoo.data.transforms import resize_and_center_crop
from ganzoo.errors import GanzooError, ParameterError
from ganzoo.plugins import PluginHost

IMAGE_KEYS = ("image", "source", "exemplar", "A", "B")


# ----------------------------------------------------------------------------------------- helpers


def check_item(dataset: GanDataset, item: dict[str, torch.Tensor]) -> None:
    """An item matches the attributes its data set declares."""
    assert tuple(item) == dataset.keys
    assert set(dataset.keys) <= set(ITEM_KEYS)
    size = dataset.image_size
    for key, value in item.items():
        if key in IMAGE_KEYS:
            channels = dataset.source_channels if key in ("source", "A") else dataset.channels
            assert value.shape == (channels, size, size), key
            assert value.dtype == torch.float32, key
            assert -1.0 <= float(value.min()) and float(value.max()) <= 1.0, key
        elif key == "mask":
            assert value.shape == (1, size, size)
            assert set(value.unique().tolist()) <= {0.0, 1.0}
        elif key == "label":
            assert value.shape == () and value.dtype == torch.int64
            assert 0 <= int(value) < dataset.num_classes


def random_image(path: Path, size: tuple[int, int], seed: int, mode: str = "RGB") -> np.ndarray:
    """Write an image of random pixels and return its pixels."""
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode).save(path)
    return pixels


def write_truncated_jpeg(path: Path, size: tuple[int, int] = (64, 32)) -> None:
    """A JPEG whose header is valid but whose pixel data stops half-way."""
    random_image(path, size, seed=99)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# ------------------------------------------------------------------------------ the part contract


DATASETS = {part.name: part.factory for part in PluginHost(third_party=False).registry.list("dataset")}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_part_documents_its_keyword_only_parameters(name: str) -> None:
    cls = DATASETS[name]
    assert issubclass(cls, GanDataset)
    doc = inspect.getdoc(cls)
    assert doc and doc.splitlines()[0].strip() and not doc.splitlines()[1].strip()
    hints = typing.get_type_hints(cls.__init__)
    parameters = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    assert parameters
    for parameter in parameters:
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, parameter.name
        assert parameter.default is not inspect.Parameter.empty, parameter.name
        assert parameter.name in hints, parameter.name
        assert parameter.name in doc, f"{parameter.name} is not documented"
    assert "image_size" in hints


def test_errors_are_ganzoo_value_errors() -> None:
    assert issubclass(DataError, GanzooError) and issubclass(DataError, ValueError)


def test_normalize_and_denormalize_round_trip() -> None:
    pixels = torch.linspace(0, 1, 11)
    assert torch.allclose(denormalize(normalize(pixels)), pixels)
    assert denormalize(torch.tensor([-3.0, 3.0])).tolist() == [0.0, 1.0]
    image = Image.fromarray(np.array([[0, 255]], dtype=np.uint8), "L")
    assert to_tensor(image).tolist() == [[[-1.0, 1.0]]]


# --------------------------------------------------------------------------------- built-in digits


def test_shipped_digits_are_real_mnist_with_500_per_class() -> None:
    images, labels = load_digits()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10


def test_digit_split_is_fixed_disjoint_and_balanced() -> None:
    _, labels = load_digits()
    train, test = split_indices("train"), split_indices("test")
    assert len(train) == 4500 and len(test) == 500
    assert not set(train.tolist()) & set(test.tolist())
    assert np.bincount(labels[train]).tolist() == [450] * 10
    assert np.bincount(labels[test]).tolist() == [50] * 10
    # The split is part of the data set's definition: it must never move.
    assert test[:8].tolist() == [1, 15, 21, 37, 45, 46, 76, 90]


@pytest.mark.parametrize("split, length", [("train", 4500), ("test", 500)])
def test_digits_items(split: str, length: int) -> None:
    dataset = Digits(split=split)
    assert len(dataset) == length
    assert (dataset.image_size, dataset.channels, dataset.num_classes) == (28, 1, 10)
    check_item(dataset, dataset[0])
    check_item(dataset, dataset[-1])
    labels = torch.stack([dataset[i]["label"] for i in range(len(dataset))])
    assert torch.bincount(labels).tolist() == [length // 10] * 10


def test_digits_sizes_pad_to_32_and_resize_otherwise() -> None:
    native, padded, large = Digits()[3], Digits(image_size=32)[3], Digits(image_size=64)[3]
    assert padded["image"].shape == (1, 32, 32)
    assert torch.equal(padded["image"][:, 2:30, 2:30], native["image"])
    border = padded["image"].clone()
    border[:, 2:30, 2:30] = -1.0
    assert bool((border == -1.0).all())
    assert large["image"].shape == (1, 64, 64) and int(large["label"]) == int(native["label"])


def test_items_are_fresh_tensors() -> None:
    dataset = Digits()
    dataset[0]["image"].fill_(0.5)
    assert float(dataset[0]["image"].min()) == -1.0


def test_edges2digits_outlines_the_strokes() -> None:
    dataset = EdgesToDigits(split="test")
    assert len(dataset) == 500 and dataset.image_size == 32 and dataset.keys[0] == "source"
    for index in (0, 250, 499):
        item = dataset[index]
        check_item(dataset, item)
        edges, strokes = item["source"] > 0, item["image"] > 0
        assert edges.sum() > 10
        assert not bool((edges & strokes).any())  # the outline lies outside the strokes
        # Every edge pixel touches the digit.
        touching = torch.nn.functional.max_pool2d(item["image"][None], 3, 1, 1)[0] > -1
        assert bool(touching[edges].all())


def test_digits_unpaired_domains_are_disjoint_and_cover_all_classes() -> None:
    dataset = UnpairedDigits()
    assert len(dataset) == 2250 and dataset.keys == ("A", "B") and dataset.num_classes == 0
    a, b = set(dataset.a_indices.tolist()), set(dataset.b_indices.tolist())
    assert not a & b and len(a | b) == 4500
    _, labels = load_digits()
    positions = split_indices("train")
    for indices in (dataset.a_indices, dataset.b_indices):
        assert np.bincount(labels[positions[indices.numpy()]]).tolist() == [225] * 10
    torch.manual_seed(0)
    item = dataset[5]
    check_item(dataset, item)
    # B's strokes are thicker: more lit pixels on average.
    a_mean = torch.stack([dataset[i]["A"] for i in range(50)]).mean()
    b_mean = torch.stack([dataset[i]["B"] for i in range(50)]).mean()
    assert b_mean > a_mean + 0.1


def test_digits_unpaired_draws_b_at_random_when_training_only() -> None:
    train, test = UnpairedDigits(), UnpairedDigits(split="test")
    torch.manual_seed(1)
    first = [train[0]["B"] for _ in range(5)]
    torch.manual_seed(1)
    again = [train[0]["B"] for _ in range(5)]
    assert all(torch.equal(x, y) for x, y in zip(first, again))  # reproducible under a seed
    assert not all(torch.equal(first[0], x) for x in first[1:])  # but not a fixed pairing
    assert len(test) == 250
    assert torch.equal(test[7]["B"], test[7]["B"])
    assert not torch.equal(test[7]["B"], test[8]["B"])


@pytest.mark.parametrize("split", ["train", "test"])
def test_digits_inpainting_masks_and_exemplars(split: str) -> None:
    dataset = DigitsInpainting(split=split, mask_size=0.25)
    assert dataset.keys == ("image", "mask", "source", "exemplar", "label")
    all_images, all_labels = digits_split(split, 32)
    all_images = all_images.flatten(1) * 2 - 1
    corners = set()
    for index in range(0, len(dataset), len(dataset) // 40):
        item = dataset[index]
        check_item(dataset, item)
        mask = item["mask"][0]
        assert int(mask.sum()) == 8 * 8
        rows, cols = torch.nonzero(mask, as_tuple=True)
        corners.add((int(rows.min()), int(cols.min())))
        assert bool((item["source"][0][mask == 1] == 0).all())
        assert torch.equal(item["source"][0][mask == 0], item["image"][0][mask == 0])
        # Another digit of the same class from the same split, never the digit itself.
        assert not torch.equal(item["exemplar"], item["image"])
        matches = (all_images == item["exemplar"].flatten()).all(dim=1)
        assert matches.any() and not bool(matches[index])
        assert bool((all_labels[matches] == item["label"]).all())
        again = dataset[index]
        assert all(torch.equal(item[key], again[key]) for key in item)  # same in every epoch
    if split == "test":
        assert corners == {(12, 12)}
    else:
        assert len(corners) > 10


def test_digits_inpainting_batches_through_a_data_loader() -> None:
    batch = next(iter(DataLoader(DigitsInpainting(), batch_size=4)))
    assert batch["source"].shape == (4, 1, 32, 32) and batch["label"].shape == (4,)


def test_bad_digit_parameters_are_refused() -> None:
    with pytest.raises(ParameterError, match="mask_size"):
        DigitsInpainting(mask_size=0.0)
    with pytest.raises(ParameterError, match="split"):
        Digits(split="validation")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="image_size"):
        Digits(image_size=0)


# ---------------------------------------------------------------------------------- image folders


def test_image_folder_with_class_folders_gives_sorted_labels(tmp_path: Path) -> None:
    for index, name in enumerate(["zebra", "cat", "dog"]):
        random_image(tmp_path / name / f"{index}.png", (40, 30), seed=index)
        random_image(tmp_path / name / "nested" / f"{index}b.jpg", (30, 40), seed=10 + index)
    (tmp_path / "notes.txt").write_text("not an image")
    dataset = ImageFolder(root=str(tmp_path), image_size=16)
    assert dataset.classes == ["cat", "dog", "zebra"] and dataset.num_classes == 3
    assert dataset.keys == ("image", "label") and len(dataset) == 6
    labels = [int(dataset[i]["label"]) for i in range(len(dataset))]
    assert labels == [0, 0, 1, 1, 2, 2]
    for index in range(len(dataset)):
        check_item(dataset, dataset[index])


def test_image_folder_without_classes_is_unlabelled(tmp_path: Path) -> None:
    for index, suffix in enumerate(["png", "jpg", "jpeg", "bmp", "webp", "PNG"]):
        random_image(tmp_path / "img_align" / f"{index}.{suffix}", (20, 20), seed=index)
    random_image(tmp_path / "img_align" / ".hidden" / "x.png", (20, 20), seed=9)
    dataset = ImageFolder(root=str(tmp_path), image_size=8, channels=1)
    assert dataset.num_classes == 0 and dataset.keys == ("image",) and len(dataset) == 6
    assert dataset.channels == 1
    check_item(dataset, dataset[0])
    labelled_off = ImageFolder(root=str(tmp_path / "img_align"), image_size=8, labels=False)
    assert labelled_off.num_classes == 0


def test_image_folder_layout_errors_name_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist") as missing:
        ImageFolder(root=str(tmp_path / "nowhere"))
    assert str(tmp_path / "nowhere") in str(missing.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no") as empty:
        ImageFolder(root=str(tmp_path / "empty"))
    assert str(tmp_path / "empty") in str(empty.value) and "<class>" in str(empty.value)
    random_image(tmp_path / "classes" / "a" / "1.png", (8, 8), seed=1)
    (tmp_path / "classes" / "b").mkdir()
    with pytest.raises(DataError) as empty_class:
        ImageFolder(root=str(tmp_path / "classes"))
    assert str(tmp_path / "classes" / "b") in str(empty_class.value)


def test_corrupt_image_names_the_file(tmp_path: Path) -> None:
    random_image(tmp_path / "good.png", (8, 8), seed=1)
    (tmp_path / "bad.png").write_bytes(b"this is not a png")
    dataset = ImageFolder(root=str(tmp_path), image_size=8)  # layout is fine: decoding is lazy
    with pytest.raises(DataError, match="replace it") as error:
        dataset[0]
    assert str(tmp_path / "bad.png") in str(error.value)
    check_item(dataset, dataset[1])


# ------------------------------------------------------------------------------- aligned (pix2pix)


def make_aligned(root: Path, count: int = 3, size: int = 40, same: bool = True) -> None:
    """Write A|B pairs into root/train and root/test; B is A itself, or A inverted if not same."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        (root / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            half = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            pair = np.concatenate([half, half if same else 255 - half], axis=1)
            Image.fromarray(pair).save(root / split / f"{index}.png")


def test_aligned_crop_and_flip_are_shared_by_both_halves(tmp_path: Path) -> None:
    make_aligned(tmp_path)
    dataset = AlignedFolder(root=str(tmp_path), image_size=32, load_size=36)
    assert dataset.keys == ("source", "image") and len(dataset) == 3
    torch.manual_seed(0)
    flips = set()
    for _ in range(12):
        item = dataset[1]
        check_item(dataset, item)
        assert torch.equal(item["source"], item["image"])
        flips.add(item["image"][:, :, 0].sum().item())
    assert len(flips) > 2  # crops and flips do vary between reads


def test_aligned_test_split_is_centred_and_deterministic(tmp_path: Path) -> None:
    make_aligned(tmp_path, same=False)
    dataset = AlignedFolder(root=str(tmp_path), split="test", image_size=32, load_size=36)
    first, second = dataset[0], dataset[0]
    assert torch.equal(first["image"], second["image"])
    assert torch.allclose(first["source"], -first["image"], atol=0.05)  # B was A inverted
    root = str(tmp_path)
    reverse = AlignedFolder(root=root, split="test", direction="BtoA", image_size=32, load_size=36)
    assert torch.equal(reverse[0]["source"], first["image"])
    resized = AlignedFolder(
        root=root, split="test", image_size=16, preprocess="resize", channels=1, source_channels=3
    )
    item = resized[0]
    assert item["source"].shape == (3, 16, 16) and item["image"].shape == (1, 16, 16)
    check_item(resized, item)
    raw = AlignedFolder(root=root, split="test", image_size=40, preprocess="none")
    left_half = Image.open(tmp_path / "test" / "0.png").crop((0, 0, 40, 40))
    assert torch.equal(raw[0]["source"], to_tensor(left_half))
    with pytest.raises(DataError, match="preprocess='none'"):
        AlignedFolder(root=root, split="test", image_size=32, preprocess="none")[0]


def test_aligned_layout_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="A\\|B side by side") as missing:
        AlignedFolder(root=str(tmp_path))
    assert str(tmp_path / "train") in str(missing.value)
    (tmp_path / "train").mkdir()
    with pytest.raises(DataError, match="holds no") as empty:
        AlignedFolder(root=str(tmp_path))
    assert str(tmp_path / "train") in str(empty.value) and "train/*.jpg" in str(empty.value)
    random_image(tmp_path / "train" / "0_square.png", (40, 40), seed=1)
    with pytest.raises(DataError, match="twice the height") as square:
        AlignedFolder(root=str(tmp_path))
    assert "0_square.png" in str(square.value)


def test_aligned_bad_files_fail_on_access(tmp_path: Path) -> None:
    random_image(tmp_path / "train" / "0.png", (64, 32), seed=1)
    random_image(tmp_path / "train" / "1_odd.png", (65, 32), seed=2)
    write_truncated_jpeg(tmp_path / "train" / "2_truncated.jpg")
    dataset = AlignedFolder(root=str(tmp_path), image_size=32, load_size=32)
    check_item(dataset, dataset[0])
    with pytest.raises(DataError, match="twice the height") as odd:
        dataset[1]
    assert "1_odd.png" in str(odd.value)
    with pytest.raises(DataError, match="cannot decode") as truncated:
        dataset[2]
    assert "2_truncated.jpg" in str(truncated.value)


def test_paired_transform_refuses_a_crop_larger_than_the_load_size() -> None:
    with pytest.raises(ParameterError, match="load_size"):
        PairedTransform(image_size=256, load_size=128)


# ----------------------------------------------------------------------------- unaligned (CycleGAN)


def test_unaligned_domains(tmp_path: Path) -> None:
    for index in range(5):
        random_image(tmp_path / "trainA" / f"{index}.jpg", (30, 24), seed=index)
    for index in range(3):
        random_image(tmp_path / "trainB" / f"{index}.png", (24, 30), seed=10 + index, mode="L")
        random_image(tmp_path / "testA" / f"{index}.png", (24, 24), seed=20 + index)
        random_image(tmp_path / "testB" / f"{index}.png", (24, 24), seed=30 + index)
    dataset = UnalignedFolder(root=str(tmp_path), image_size=16, load_size=20)
    assert len(dataset) == 5 and dataset.keys == ("A", "B")
    torch.manual_seed(0)
    for index in range(len(dataset)):
        check_item(dataset, dataset[index])
    test = UnalignedFolder(root=str(tmp_path), split="test", image_size=16, load_size=16,
                           channels=1, source_channels=3)
    assert len(test) == 3 and test.source_channels == 3 and test.channels == 1
    assert torch.equal(test[2]["B"], test[2]["B"])
    check_item(test, test[2])


def test_unaligned_missing_domain_names_the_folder(tmp_path: Path) -> None:
    random_image(tmp_path / "trainA" / "0.png", (8, 8), seed=0)
    with pytest.raises(DataError, match="trainA/\\*.jpg and") as error:
        UnalignedFolder(root=str(tmp_path))
    assert str(tmp_path / "trainB") in str(error.value)


# -------------------------------------------------------------------------- exemplar (in-painting)


def make_identities(root: Path) -> None:
    for seed, (person, count) in enumerate((("alice", 3), ("bob", 2))):
        for index in range(count):
            random_image(root / person / f"{index}.png", (24, 20), seed=10 * seed + index)
    mask = np.zeros((20, 24), dtype=np.uint8)
    mask[5:10, 4:20] = 255  # an eye band
    (root / "bob" / "masks").mkdir()
    for index in range(2):
        Image.fromarray(mask).save(root / "bob" / "masks" / f"{index}.png")


def test_exemplar_folder_items(tmp_path: Path) -> None:
    make_identities(tmp_path)
    dataset = ExemplarFolder(root=str(tmp_path), image_size=16, mask_size=0.5)
    assert dataset.identities == ["alice", "bob"] and dataset.num_classes == 2 and len(dataset) == 5
    images = [to_tensor(resize_and_center_crop(load_image(p), 16)) for p in dataset.paths]
    for index in range(len(dataset)):
        item = dataset[index]
        check_item(dataset, item)
        label = int(item["label"])
        matches = [j for j, image in enumerate(images) if torch.equal(image, item["exemplar"])]
        assert matches and index not in matches
        assert all(dataset.paths[j].parent == dataset.paths[index].parent for j in matches)
        assert label == dataset.identities.index(dataset.paths[index].parent.name)
        assert bool((item["source"][:, item["mask"][0] == 1] == 0).all())
        assert all(torch.equal(item[key], dataset[index][key]) for key in item)
    alice, bob = dataset[0], dataset[3]
    assert int(alice["mask"].sum()) == 8 * 8 and float(alice["mask"][0, 4:12, 4:12].min()) == 1.0
    assert bool((bob["mask"][0, :2] == 0).all())  # the given mask, not the default box
    assert int(bob["mask"].sum()) > 0 and not torch.equal(bob["mask"], alice["mask"])


def test_exemplar_folder_layout_errors(tmp_path: Path) -> None:
    random_image(tmp_path / "loose.png", (8, 8), seed=0)
    with pytest.raises(DataError, match="<identity>") as no_identities:
        ExemplarFolder(root=str(tmp_path))
    assert str(tmp_path) in str(no_identities.value)
    random_image(tmp_path / "carol" / "0.png", (8, 8), seed=1)
    random_image(tmp_path / "dave" / "0.png", (8, 8), seed=2)
    random_image(tmp_path / "dave" / "1.png", (8, 8), seed=3)
    with pytest.raises(DataError, match="at least 2") as single:
        ExemplarFolder(root=str(tmp_path))
    assert str(tmp_path / "carol") in str(single.value)
    random_image(tmp_path / "carol" / "1.png", (8, 8), seed=4)
    (tmp_path / "dave" / "masks").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "dave" / "masks" / "0.png")
    with pytest.raises(DataError, match="has no mask") as no_mask:
        ExemplarFolder(root=str(tmp_path))
    assert "1.png" in str(no_mask.value)


# ------------------------------------------------------------------------------------ torchvision


def test_torchvision_without_files_asks_for_download(tmp_path: Path) -> None:
    root = tmp_path / "no-data-here"
    for name in ("MNIST", "CIFAR10"):
        with pytest.raises(DataError, match="data.download=true") as error:
            TorchvisionDataset(dataset=name, root=str(root))  # download stays off
        assert str(root) in str(error.value)
    assert not root.exists() or not any(root.rglob("*"))


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write an array in the raw MNIST (IDX) format: magic, big-endian sizes, then uint8 data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)  # 0x08: unsigned bytes
    sizes = struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + sizes + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_torchvision_reads_local_raw_files(tmp_path: Path, name: str) -> None:
    raw = tmp_path / name / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    train_images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    train_labels = np.arange(12) % 10
    write_idx(raw / "train-images-idx3-ubyte", train_images)
    write_idx(raw / "train-labels-idx1-ubyte", train_labels)
    write_idx(raw / "t10k-images-idx3-ubyte", train_images[:4])
    write_idx(raw / "t10k-labels-idx1-ubyte", train_labels[:4])
    dataset = TorchvisionDataset(dataset=name, root=str(tmp_path))
    assert len(dataset) == 12 and dataset.image_size == 28 and dataset.channels == 1
    item = dataset[11]
    check_item(dataset, item)
    assert int(item["label"]) == 1
    assert torch.allclose(item["image"][0], torch.from_numpy(train_images[11]).float() / 127.5 - 1)
    test = TorchvisionDataset(dataset=name, root=str(tmp_path), split="test", image_size=32)
    assert len(test) == 4
    check_item(test, test[0])
    # The same through a run's words, as the documentation shows them.
    from ganzoo.training import Trainer, resolve_run_config

    words = [
        "recipe=vanilla", "data=torchvision", f"data.dataset={name}", f"data.root={tmp_path}", "train.steps=1",
        "train.batch_size=4", "train.progress=false", f"out={tmp_path / 'run'}",
    ]
    assert Trainer.create(resolve_run_config(words)).built.dataset.name == name


def test_digits_per_class_keeps_a_fixed_subset_of_the_training_split() -> None:
    from ganzoo.data.digits import Digits
    from ganzoo.errors import ParameterError

    small = Digits(per_class=50)
    labels = torch.stack([small[i]["label"] for i in range(len(small))])
    assert len(small) == 500 and torch.bincount(labels).tolist() == [50] * 10
    assert torch.equal(small[0]["image"], Digits(per_class=50)[0]["image"])  # the same digits in every run
    assert len(Digits(split="test", per_class=5)) == 500  # held-out figures stay comparable
    with pytest.raises(ParameterError, match="per_class=451: the training split holds 450"):
        Digits(per_class=451)
