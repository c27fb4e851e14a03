"""ganzoo's trainer against a plain hand-written PyTorch loop, and the trainer's fast paths.

Both sides train the identical networks (built with :func:`ganzoo.build_part` from the same resolved
configuration, from the same seed), with the identical losses, optimisers and data loader, and log
their losses (one host synchronisation) at the same interval. Each measurement runs in its own child
process, so that peak memory can be read; the variants alternate and repeat within one run of this
script, and the table reports medians.

Usage::

    python benchmarks/throughput.py                    # DCGAN digits, Pix2Pix and CycleGAN at 256×256
    python benchmarks/throughput.py --cases dcgan --fast-paths
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, median, peak_rss_mb, run_child, table

WARMUP = 3

CASES: dict[str, dict[str, Any]] = {
    "dcgan": {"words": ["recipe=dcgan"], "steps": 60, "log_every": 10},
    "pix2pix256": {
        "words": ["recipe=pix2pix", "data=aligned", "generator.ngf=64", "discriminator.ndf=64", "train.batch_size=1"],
        "steps": 8, "log_every": 1, "folder": "aligned",
    },
    "cyclegan256": {
        "words": ["recipe=cyclegan", "data=unaligned", "generator.ngf=64", "generator.n_blocks=9", "discriminator.ndf=64", "train.batch_size=1"],
        "steps": 5, "log_every": 1, "folder": "unaligned",
    },
}
FAST_PATHS = {
    "baseline": [],
    "channels_last": ["train.channels_last=true"],
    "fused_optimizer": ["train.fused_optimizer=true"],
    "bf16 autocast": ["train.amp=bf16"],
    "compile": ["train.compile=true"],
    "2 loader workers": ["train.num_workers=2"],
}


def _make_folder(kind: str, root: Path) -> None:
    """A few 256×256 images in the aligned (A|B) or unaligned (trainA/trainB) layout."""
    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(0)
    if kind == "aligned":
        (root / "train").mkdir(parents=True)
        for index in range(8):
            Image.fromarray(noise.integers(0, 255, (256, 512, 3), dtype=np.uint8)).save(root / "train" / f"{index}.png")
    else:
        for side in ("trainA", "trainB"):
            (root / side).mkdir(parents=True)
            for index in range(8):
                Image.fromarray(noise.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(root / side / f"{index}.png")


def _config(case: str, extra: list[str], folder: Path) -> dict[str, Any]:
    from ganzoo.training import resolve_run_config

    spec = CASES[case]
    words = [*spec["words"], *extra, f"train.steps={spec['steps']}", f"train.log_every={spec['log_every']}",
             "train.sample_every=0", "train.checkpoint_every=0", "train.progress=false", "eval.every=0"]
    if "folder" in spec:
        _make_folder(spec["folder"], folder)
        words += [f"data.root={folder}", "data.image_size=256", "data.load_size=286"]
    return resolve_run_config([*words, f"out={folder / 'run'}"])


def _ganzoo(case: str, extra: list[str]) -> dict[str, float]:
    from ganzoo import hookimpl
    from ganzoo.plugins import PluginHost
    from ganzoo.training import Trainer

    stamps: dict[int, float] = {}

    class Clock:
        @hookimpl
        def ganzoo_step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
            stamps[step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as folder:
        host = PluginHost(third_party=False)
        host.add_plugin(Clock(), "clock")
        trainer = Trainer.create(_config(case, extra, Path(folder)), host=host)
        batch = int(trainer.config["train"]["batch_size"])
        trainer.fit()
    first = min(s for s in stamps if s >= WARMUP)
    return {"images_per_s": (max(stamps) - first) * batch / (stamps[max(stamps)] - stamps[first])}


def _hand_written(case: str) -> dict[str, float]:
    """The same training, as a plain loop a user would write (no registry, no data-flow graph)."""
    import torch
    import torch.nn.functional as F

    from ganzoo import build_part
    from ganzoo.training import Trainer
    from ganzoo.training.pool import HistoryPool

    with tempfile.TemporaryDirectory() as folder:
        # The trainer resolves the configuration and builds data and networks; the loop takes them.
        # Everything the loop then does is its own.
        reference = Trainer.create(_config(case, [], Path(folder)))
        config, loader = reference.config, reference.loader
        torch.manual_seed(int(config["train"]["seed"]))
        nets = {name: net for name, net in reference.networks.items()}
        optim = config["optim"]
        opts = {
            name: torch.optim.Adam(net.parameters(), lr=optim[reference.roles[name]]["lr"], betas=tuple(optim[reference.roles[name]]["betas"]), foreach=True)
            for name, net in nets.items()
        }
        steps, log_every = int(config["train"]["steps"]), int(config["train"]["log_every"])
        batch_size = int(config["train"]["batch_size"])
        noise = torch.Generator().manual_seed(1)
        pools = {"D_A": HistoryPool(50), "D_B": HistoryPool(50)}
        bce = F.binary_cross_entropy_with_logits

        def frozen(module: torch.nn.Module, flag: bool) -> None:
            for p in module.parameters():
                p.requires_grad_(not flag)

        def step_dcgan(batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
            G, D = nets["G"], nets["D"]
            real = batch["image"]
            fake = G(torch.randn(real.shape[0], G.latent_dim, generator=noise))
            d_real, d_fake = D(real), D(fake.detach())
            loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
            opts["D"].zero_grad(set_to_none=True); loss_d.backward(); opts["D"].step()
            frozen(D, True)
            d_fake = D(fake)
            loss_g = bce(d_fake, torch.ones_like(d_fake))
            opts["G"].zero_grad(set_to_none=True); loss_g.backward(); opts["G"].step()
            frozen(D, False)
            return [loss_d.detach(), loss_g.detach()]

        def step_pix2pix(batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
            G, D = nets["G"], nets["D"]
            a, b = batch["source"], batch["image"]
            fake = G(a)
            p_fake, p_real = D(fake.detach(), a), D(b, a)
            loss_d = 0.5 * (bce(p_fake, torch.zeros_like(p_fake)) + bce(p_real, torch.ones_like(p_real)))
            opts["D"].zero_grad(set_to_none=True); loss_d.backward(); opts["D"].step()
            frozen(D, True)
            p_fake = D(fake, a)
            loss_g = bce(p_fake, torch.ones_like(p_fake)) + 100.0 * (fake - b).abs().mean()
            opts["G"].zero_grad(set_to_none=True); loss_g.backward(); opts["G"].step()
            frozen(D, False)
            return [loss_d.detach(), loss_g.detach()]

        def step_cyclegan(batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
            g_ab, g_ba, d_a, d_b = nets["G_AB"], nets["G_BA"], nets["D_A"], nets["D_B"]
            a, b = batch["A"], batch["B"]
            fake_b, fake_a = g_ab(a), g_ba(b)
            rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
            idt_b, idt_a = g_ab(b), g_ba(a)
            frozen(d_a, True); frozen(d_b, True)
            pa, pb = d_a(fake_a), d_b(fake_b)
            loss_g = (F.mse_loss(pb, torch.ones_like(pb)) + F.mse_loss(pa, torch.ones_like(pa))
                      + 10 * (rec_a - a).abs().mean() + 10 * (rec_b - b).abs().mean()
                      + 5 * (idt_a - a).abs().mean() + 5 * (idt_b - b).abs().mean())
            opts["G_AB"].zero_grad(set_to_none=True); opts["G_BA"].zero_grad(set_to_none=True)
            loss_g.backward(); opts["G_AB"].step(); opts["G_BA"].step()
            frozen(d_a, False); frozen(d_b, False)
            loss_d = torch.zeros(())
            for disc, real, fake, name in ((d_b, b, fake_b, "D_B"), (d_a, a, fake_a, "D_A")):
                fake = pools[name](fake.detach())
                pr, pf = disc(real), disc(fake)
                loss_d = loss_d + 0.5 * (F.mse_loss(pr, torch.ones_like(pr)) + F.mse_loss(pf, torch.zeros_like(pf)))
            opts["D_A"].zero_grad(set_to_none=True); opts["D_B"].zero_grad(set_to_none=True)
            loss_d.backward(); opts["D_A"].step(); opts["D_B"].step()
            return [loss_d.detach(), loss_g.detach()]

        step_fn = {"dcgan": step_dcgan, "pix2pix256": step_pix2pix, "cyclegan256": step_cyclegan}[case]
        stamps: dict[int, float] = {}
        done = 0
        with open(Path(folder) / "log.jsonl", "w") as log:
            while done < steps:
                for batch in loader:
                    losses = step_fn(batch)
                    done += 1
                    if done % log_every == 0:
                        log.write(json.dumps({"step": done, "losses": [float(x) for x in losses]}) + "\n")
                        stamps[done] = time.perf_counter()
                    if done == steps:
                        break
    first = min(s for s in stamps if s >= WARMUP)
    return {"images_per_s": (max(stamps) - first) * batch_size / (stamps[max(stamps)] - stamps[first])}


def child(case: str, variant: str) -> None:
    if variant == "hand-written":
        result = _hand_written(case)
    else:
        result = _ganzoo(case, FAST_PATHS.get(variant, []))
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--fast-paths", action="store_true", help="also measure each opt-in fast path on DCGAN")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"machine: {machine()}\n")
    rows = []
    for case in args.cases:
        seen: dict[str, list[dict[str, float]]] = {"ganzoo": [], "hand-written": []}
        for _ in range(args.repeats):
            for variant in seen:  # alternate, so drifts of the machine hit both alike
                seen[variant].append(run_child("throughput.py", case, "baseline" if variant == "ganzoo" else variant))
        ours = median([r["images_per_s"] for r in seen["ganzoo"]])
        theirs = median([r["images_per_s"] for r in seen["hand-written"]])
        mem_ours = median([r["peak_rss_mb"] for r in seen["ganzoo"]])
        mem_theirs = median([r["peak_rss_mb"] for r in seen["hand-written"]])
        rows.append([case, f"{ours:.3g}", f"{theirs:.3g}", f"{ours / theirs:.3f}", f"{mem_ours:.0f}", f"{mem_theirs:.0f}", f"{mem_ours / mem_theirs:.3f}"])
    print(table(rows, ["case", "ganzoo images/s", "hand-written images/s", "throughput ratio", "ganzoo peak MiB", "hand-written peak MiB", "memory ratio"]))
    if args.fast_paths:
        results: dict[str, list[float]] = {name: [] for name in FAST_PATHS}
        for _ in range(args.repeats):
            for name in FAST_PATHS:
                results[name].append(run_child("throughput.py", "dcgan", name)["images_per_s"])
        base = median(results["baseline"])
        rows = [[name, f"{median(v):.1f}", f"{median(v) / base:.3f}"] for name, v in results.items()]
        print("\nfast paths (dcgan on digits):\n")
        print(table(rows, ["variant", "images/s", "vs baseline"]))


if __name__ == "__main__":
    main()
