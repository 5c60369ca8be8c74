"""Text recognition of line images: the OCR engine behind scanned reports (parsers.scan).

The layout (pages, ruling lines, cells, the lines of text in a cell) is found by
parsers.scan with OpenCV; an engine only reads one line of text at a time, so engines
are interchangeable and measured on the same crops (bench/parse.py, docs/ocr.md).

RapidOCR is the engine: PaddleOCR's PP-OCRv4 Chinese models converted to ONNX, shipped
inside the ``rapidocr_onnxruntime`` wheel and run by ``onnxruntime`` on the CPU, so it
works offline with nothing downloaded at run time. Tesseract (Debian's tesseract-ocr
with chi_sim) was measured against it and read fewer table cells right, slower
(docs/ocr.md); `TesseractEngine` stays for that comparison when ``tesserocr`` is
installed, and is not a dependency.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Protocol

import numpy as np


class OcrUnavailable(RuntimeError):
    """No OCR engine can run here (its package or model is missing)."""


class Engine(Protocol):
    name: str

    def recognize(self, lines: list[np.ndarray]) -> list[tuple[str, float]]:
        """Each grayscale line image read as (text, confidence 0..1)."""


class RapidEngine:
    """RapidOCR's text recogniser (PP-OCRv4, ONNX), one CPU thread per process."""

    def __init__(self, threads: int = 1) -> None:
        try:
            import rapidocr_onnxruntime
            from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
        except ImportError as exc:  # pragma: no cover - a dependency of nianbao
            raise OcrUnavailable(f"rapidocr_onnxruntime is not installed ({exc})") from exc
        from importlib.metadata import version
        from pathlib import Path

        model = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"
        if not model.exists():
            raise OcrUnavailable(f"RapidOCR's recognition model is missing ({model})")
        # Only the recogniser is loaded: parsers.scan finds the lines itself. One thread:
        # the parser runs in worker processes, a document each. Table cells are mostly
        # short numbers, so a batch is padded to its widest crop, not to PaddleOCR's
        # 320 px default (several times less work per cell; small batches measured fastest).
        self._rec = TextRecognizer({
            "model_path": str(model), "use_cuda": False, "use_dml": False,
            "intra_op_num_threads": threads, "inter_op_num_threads": 1,
            "rec_img_shape": [3, 48, 48], "rec_batch_num": 4})
        self.name = f"rapidocr-onnxruntime {version('rapidocr_onnxruntime')} (PP-OCRv4)"

    def recognize(self, lines: list[np.ndarray]) -> list[tuple[str, float]]:
        if not lines:
            return []
        rgb = [np.repeat(line[:, :, None], 3, axis=2) if line.ndim == 2 else line
               for line in lines]
        results, _elapsed = self._rec(rgb)
        return [(text, float(score)) for text, score in results]


class TesseractEngine:
    """Tesseract 5 (LSTM, chi_sim) through tesserocr, one line at a time (PSM 7)."""

    def __init__(self, tessdata: str | None = None) -> None:
        try:
            import tesserocr
        except ImportError as exc:
            raise OcrUnavailable(f"tesserocr is not installed ({exc})") from exc
        path = tessdata or _tessdata()
        self._api = tesserocr.PyTessBaseAPI(path=path, lang="chi_sim",
                                            psm=tesserocr.PSM.SINGLE_LINE)
        self._image = __import__("PIL.Image", fromlist=["Image"])
        self.name = f"tesseract {tesserocr.tesseract_version().split()[1]} (chi_sim)"

    def recognize(self, lines: list[np.ndarray]) -> list[tuple[str, float]]:
        out = []
        for line in lines:
            self._api.SetImage(self._image.fromarray(line))
            text = self._api.GetUTF8Text().strip().replace(" ", "")
            out.append((text, self._api.MeanTextConf() / 100))
        return out


def _tessdata() -> str:
    for path in ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata"):
        if os.path.exists(os.path.join(path, "chi_sim.traineddata")):
            return path + "/"
    raise OcrUnavailable("no chi_sim.traineddata (Debian: tesseract-ocr-chi-sim)")


ENGINES = {"rapidocr": RapidEngine, "tesseract": TesseractEngine}
DEFAULT_ENGINE = "rapidocr"


@cache
def engine(name: str = DEFAULT_ENGINE) -> Engine:
    """The engine, loaded once per process (loading the models takes ~0.3 s)."""
    if name not in ENGINES:
        raise OcrUnavailable(f"unknown OCR engine {name!r} (known: {', '.join(ENGINES)})")
    return ENGINES[name]()
