"""``seld export CKPT model.onnx``: a thin wrapper of :func:`seld.export.export_onnx`."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--opset", type=click.IntRange(17, 23), default=18, help="ONNX opset (STFT needs 17 or later).")
@click.option("--verify/--no-verify", default=True,
              help="Run the exported file in ONNX Runtime and report its largest difference from PyTorch.")
def export(checkpoint: Path, out: Path, opset: int, verify: bool) -> None:
    """Export a seld checkpoint (front end + network) to ONNX, with its task description in the file.

    Run it with `seld infer --model OUT` or seld.export.onnx_system(OUT), which need onnxruntime, not torch.
    """
    from seld.export.onnx_export import export_onnx

    report = export_onnx(checkpoint, out, opset=opset, verify=verify)
    limit = "any length" if report.max_samples is None else f"{report.min_samples}-{report.max_samples} samples"
    click.echo(f"wrote {report.path} (outputs {', '.join(report.outputs)}; {limit} per call; "
               f"{report.seconds:.1f} s)")
    if report.max_abs_diff is not None:
        click.echo(f"ONNX Runtime vs PyTorch: largest difference {report.max_abs_diff:.3g}")
